"""One cache for results derived from a record (a trained model, a space): built once, bounded.

Pages of several sessions (and the warm-up thread) may ask for the same result at once:
the first builds it, the others wait for that build instead of repeating it. Different keys
build in parallel. The oldest entries go when there are more than ``max_entries``.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

# One lock guards every cache's bookkeeping (cheap dictionary work only, never a build).
_LOCK = threading.Lock()


class DerivedCache:
    """Bounded mapping of key -> result, filled by `get_or_build`."""

    def __init__(self, max_entries: int = 64):
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._building: dict[Hashable, threading.Lock] = {}

    def get_or_build(self, key: Hashable, build: Callable[[], T]) -> T:
        """The cached result for ``key``, calling ``build()`` once when there is none."""
        with _LOCK:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
            key_lock = self._building.setdefault(key, threading.Lock())
        with key_lock:
            with _LOCK:
                if key in self._entries:     # built by another thread while we waited
                    return self._entries[key]
            try:
                value = build()
            except BaseException:
                with _LOCK:
                    self._building.pop(key, None)
                raise
            with _LOCK:
                self._entries[key] = value
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
                self._building.pop(key, None)
            return value

    def discard(self, key: Hashable) -> None:
        """Forget ``key`` (e.g. a failed or cancelled job), so the next `get_or_build` builds again."""
        with _LOCK:
            self._entries.pop(key, None)

    def items(self) -> list[tuple[Hashable, Any]]:
        """A snapshot of the entries."""
        with _LOCK:
            return list(self._entries.items())

    def get(self, key: Hashable, default: Any = None) -> Any:
        with _LOCK:
            return self._entries.get(key, default)

    def __contains__(self, key: Hashable) -> bool:
        with _LOCK:
            return key in self._entries

    def __len__(self) -> int:
        with _LOCK:
            return len(self._entries)
