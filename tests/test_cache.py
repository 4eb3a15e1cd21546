"""The dashboard's one cache helper: one build per key even under concurrency, bounded."""
import threading
import time

from embedviz.dashboard.cache import DerivedCache


def test_builds_once_and_returns_the_same_object():
    cache, calls = DerivedCache(), []
    first = cache.get_or_build("k", lambda: calls.append(1) or object())
    assert cache.get_or_build("k", lambda: calls.append(1) or object()) is first
    assert len(calls) == 1 and "k" in cache


def test_concurrent_askers_wait_for_one_build():
    cache, calls = DerivedCache(), []

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return len(calls)

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_build("k", slow))) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [1] and results == [1] * 5


def test_different_keys_build_in_parallel():
    cache = DerivedCache()
    start = time.perf_counter()
    threads = [threading.Thread(target=cache.get_or_build, args=(key, lambda: time.sleep(0.3)))
               for key in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert time.perf_counter() - start < 0.8


def test_oldest_entries_go_beyond_the_bound():
    cache = DerivedCache(max_entries=3)
    for key in range(5):
        cache.get_or_build(key, lambda key=key: key)
    assert len(cache) == 3 and 0 not in cache and 4 in cache
    cache.get_or_build(2, lambda: None)            # touching 2 makes 3 the oldest
    cache.get_or_build(5, lambda: 5)
    assert 3 not in cache and 2 in cache


def test_a_failed_build_is_not_cached():
    cache = DerivedCache()
    try:
        cache.get_or_build("k", lambda: 1 / 0)
    except ZeroDivisionError:
        pass
    assert "k" not in cache and cache.get_or_build("k", lambda: 7) == 7
