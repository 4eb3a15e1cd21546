"""A browserless Streamlit client: one websocket session speaking the app's own protobufs.

It does what the Streamlit frontend does for a visitor (frontend/app/src/App.tsx, WidgetStateManager,
FileUploadClient), no more:

* ``GET /_stcore/health`` for the XSRF cookie, then a websocket to ``/_stcore/stream`` offering the
  subprotocols ``["streamlit", <xsrf token>]`` (the token the server checks against the cookie);
* a rerun is a ``BackMsg.rerun_script`` (`ClientState`: query string, widget states, the page's
  ``page_script_hash`` or, before the page list is known, its ``page_name``; ``fragment_id`` for
  fragment reruns); it ends with ``ForwardMsg.script_finished`` (a run stopped early for an
  ``st.rerun()`` is followed by the real one);
* widgets are found by label in the elements the server sends and set by their ``id``; buttons and
  form submits send a one-off ``trigger_value``; the values set are sent with every rerun of the page
  and dropped on a page change, as the frontend does;
* uploads: ``BackMsg.file_urls_request`` -> ``ForwardMsg.file_urls_response``, a multipart ``PUT``
  to the upload URL with the ``X-Xsrftoken`` header and cookie, then the uploader's widget state;
* ``ForwardMsg.auto_rerun`` (``st.fragment(run_every=...)``) is honoured while the visitor "dwells"
  on a page, and forgotten when a new full run starts (``new_session``) or on ``stop_auto_rerun``.

Every ForwardMsg's raw bytes are passed to ``on_message`` (the load test scans them for other
sessions' item names) and checked for errors: an exception element, an ``st.error`` alert, a page
not found, a compile error, a dropped connection.
"""
from __future__ import annotations

import asyncio
import http.client
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Common_pb2 import FileURLs, UploadedFileInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

XSRF_COOKIE = "_streamlit_xsrf"
EARLY = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")
COMPILE_ERROR = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_WITH_COMPILE_ERROR")


class ProtocolError(RuntimeError):
    """The server did something a browser would show as a failure (or did not answer in time)."""


@dataclass
class Run:
    """One script run as the client saw it: from the rerun BackMsg to the final script_finished."""

    page: str
    fragment: bool
    started: float
    seconds: float = float("nan")
    status: int | None = None
    errors: list[str] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Widget:
    kind: str        # the Element oneof name: "button", "text_input", "file_uploader", ...
    id: str
    element: object  # the widget's own protobuf (label, options, min/max, ...)


def _http(method: str, url: str, body: bytes = b"", headers: dict | None = None,
          timeout: float = 30) -> tuple[int, dict, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body=body,
                     headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def _multipart(filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = f"----loadtest{uuid.uuid4().hex}"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{filename}"; filename="{filename}"\r\n'
            "Content-Type: text/csv\r\n\r\n").encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


class Session:
    """One simulated visitor: a websocket session with its own widget states and uploads."""

    def __init__(self, base_url: str, *, on_message: Callable[[bytes], None] | None = None,
                 run_timeout: float = 120.0):
        self.base_url = base_url.rstrip("/")
        self.on_message = on_message
        self.run_timeout = run_timeout
        self.session_id = ""
        self.pages: dict[str, str] = {}       # page name -> page_script_hash
        self.page = ""                        # current page name
        self.page_hash = ""
        self.query_string = ""
        self.widgets: dict[str, Widget] = {}  # label -> widget, from the current page's elements
        self.values: dict[str, WidgetState] = {}  # widget id -> the value this visitor set
        self.auto_reruns: dict[str, float] = {}   # fragment id -> interval (s)
        self.texts: list[str] = []            # headings, markdown, alerts since the last full run began
        self.errors: list[str] = []           # everything that went wrong, in order
        self.closed_by_us = False
        self.trace: deque[str] = deque(maxlen=60)   # recent messages both ways, for diagnosing a stall
        self._t0 = time.perf_counter()
        self._ws = None
        self._reader: asyncio.Task | None = None
        self._run: Run | None = None
        self._file_urls: dict[str, asyncio.Future] = {}
        self._xsrf = ""

    # ------------------------------------------------------------------ connection

    async def connect(self) -> None:
        status, headers, _ = await asyncio.to_thread(_http, "GET", f"{self.base_url}/_stcore/health")
        if status != 200:
            raise ProtocolError(f"health check answered {status}")
        cookie = next((v for k, v in headers.items() if k.lower() == "set-cookie"), "")
        if cookie.startswith(f"{XSRF_COOKIE}="):
            self._xsrf = cookie.split(";", 1)[0].split("=", 1)[1]
        ws_url = "ws" + self.base_url[4:] + "/_stcore/stream"
        protocols = ["streamlit", self._xsrf] if self._xsrf else ["streamlit"]
        self._ws = await connect(
            ws_url, subprotocols=protocols, origin=self.base_url, max_size=None, compression=None,
            additional_headers={"Cookie": f"{XSRF_COOKIE}={self._xsrf}"} if self._xsrf else None,
            open_timeout=30)
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        self.closed_by_us = True
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    async def _read(self) -> None:
        try:
            async for data in self._ws:
                self._handle(data)
        except ConnectionClosed:
            pass
        finally:
            if not self.closed_by_us:
                self._fail("disconnected: the server closed the websocket")

    def _fail(self, message: str) -> None:
        self.errors.append(f"{self.page or '?'}: {message}")
        if self._run is not None:
            self._run.errors.append(message)
            self._run.done.set()

    # ------------------------------------------------------------------ ForwardMsgs

    def _handle(self, data: bytes) -> None:
        if self.on_message is not None:
            self.on_message(data)
        msg = ForwardMsg()
        msg.ParseFromString(data)
        kind = msg.WhichOneof("type")
        if kind != "delta":
            detail = {"script_finished": lambda: ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished),
                      "auto_rerun": lambda: msg.auto_rerun.fragment_id[:8],
                      "navigation": lambda: msg.navigation.page_script_hash[:8],
                      "new_session": lambda: ",".join(f[:8] for f in msg.metadata.run.fragment_ids),
                      }.get(kind, lambda: "")()
            self.trace.append(f"{time.perf_counter() - self._t0:7.2f} <- {kind} {detail}")
        if kind == "new_session":
            self._new_session(msg.new_session, fragment_run=bool(msg.metadata.run.fragment_ids))
        elif kind == "navigation":
            self._navigation(msg.navigation)
        elif kind == "delta":
            self._delta(msg.delta)
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "auto_rerun":
            self.auto_reruns[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            self.auto_reruns.pop(getattr(msg.stop_auto_rerun, "fragment_id", ""), None)
        elif kind == "file_urls_response":
            future = self._file_urls.pop(msg.file_urls_response.response_id, None)
            if future is not None and not future.done():
                future.set_result(msg.file_urls_response)
        elif kind == "page_not_found":
            self._fail(f"page not found: {msg.page_not_found.page_name!r}")
        elif kind == "script_finished":
            self._finished(msg.script_finished)

    def _new_session(self, new, fragment_run: bool) -> None:
        # Sent at the start of every run; a fragment run (its ids in metadata.run) keeps the page's
        # elements and auto-reruns, a full run starts them afresh (App.tsx handleNewSession).
        if new.initialize.session_id:
            self.session_id = new.initialize.session_id
        if fragment_run:
            return
        self.page_hash = new.page_script_hash
        self.widgets = {}
        self.texts = []
        self.auto_reruns = {}   # the new run registers its fragments again

    def _navigation(self, navigation) -> None:
        # The page list and the page this run is for (the new_session message only knows app.py).
        # The entry script is the default page; the load test calls it "Home".
        self.pages = {"Home" if p.is_default else p.page_name: p.page_script_hash
                      for p in navigation.app_pages}
        self.page_hash = navigation.page_script_hash
        self.page = next((n for n, h in self.pages.items() if h == self.page_hash), self.page)

    def _delta(self, delta) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind is None:
            return
        proto = getattr(element, kind)
        if kind == "exception":
            self._fail(f"exception element: {proto.type}: {proto.message[:300]}")
        elif kind == "alert":
            self.texts.append(proto.body)
            if proto.format == Alert.ERROR:
                self._fail(f"st.error: {proto.body[:300]}")
        elif kind in ("heading", "markdown"):
            self.texts.append(proto.body)
        elif kind == "progress":
            self.texts.append(proto.text)
        label, widget_id = getattr(proto, "label", None), getattr(proto, "id", None)
        if label is not None and widget_id:
            self.widgets[label] = Widget(kind, widget_id, proto)

    def _finished(self, status: int) -> None:
        run = self._run
        if status == COMPILE_ERROR:
            self._fail("script finished with a compile error")
        if run is None or status == EARLY:
            return   # a run stopped for st.rerun(): the real one follows
        run.status = status
        run.seconds = time.perf_counter() - run.started
        run.done.set()

    # ------------------------------------------------------------------ BackMsgs

    async def _send(self, back: BackMsg) -> None:
        await self._ws.send(back.SerializeToString())

    async def rerun(self, page: str | None = None, *, query: str | None = None,
                    trigger: str | None = None, fragment_id: str = "", auto: bool = False) -> Run:
        """Rerun ``page`` (default: the current one) and wait for the script to finish.

        ``query`` replaces the URL's query string (a link); ``trigger`` is the label of a button or
        form submit button to press for this run only.
        """
        if self._run is not None:
            raise ProtocolError("a run is already in progress")
        target = page or self.page
        changing = page is not None and page != self.page
        if changing:
            self.values = {}
            self.query_string = ""   # the frontend drops a page's query parameters on navigation
        if query is not None:
            self.query_string = query
        state = BackMsg()
        client = state.rerun_script
        client.query_string = self.query_string
        if target in self.pages:
            client.page_script_hash = self.pages[target]
        else:
            client.page_name = "" if target == "Home" else target   # a deep link, before the page list
        for value in self.values.values():
            client.widget_states.widgets.append(value)
        if trigger is not None:
            client.widget_states.widgets.append(WidgetState(id=self.widget(trigger).id, trigger_value=True))
        if fragment_id:
            client.fragment_id = fragment_id
            client.is_auto_rerun = auto
        run = self._run = Run(target or "Home", bool(fragment_id), time.perf_counter())
        self.trace.append(f"{run.started - self._t0:7.2f} -> rerun {target} fragment={fragment_id[:8]}"
                          f" widgets={len(client.widget_states.widgets)}")
        try:
            await self._send(state)
            await asyncio.wait_for(run.done.wait(), self.run_timeout)
        except TimeoutError:
            self._fail(f"no script_finished within {self.run_timeout:.0f} s")
        except ConnectionClosed:
            self._fail("disconnected while sending a rerun")
        finally:
            self._run = None
        if not fragment_id:
            # As the frontend's removeInactive: only widgets drawn by this run keep their state.
            live = {w.id for w in self.widgets.values()}
            self.values = {k: v for k, v in self.values.items() if k in live}
        return run

    async def dwell(self, seconds: float, until: Callable[[], bool] | None = None) -> list[Run]:
        """Stay on the page for ``seconds``, running its fragments' auto-reruns as the browser does.

        Stops early when ``until()`` becomes true (checked after each run).
        """
        runs: list[Run] = []
        deadline = time.perf_counter() + seconds
        due = {fid: time.perf_counter() + interval for fid, interval in self.auto_reruns.items()}
        while time.perf_counter() < deadline and not (until and until()):
            if not self.auto_reruns:
                await asyncio.sleep(min(0.2, max(0.0, deadline - time.perf_counter())))
                continue
            for fid, interval in list(self.auto_reruns.items()):
                due.setdefault(fid, time.perf_counter() + interval)
            fid, when = min(((f, due[f]) for f in self.auto_reruns), key=lambda pair: pair[1])
            await asyncio.sleep(max(0.0, min(when, deadline) - time.perf_counter()))
            if time.perf_counter() >= deadline or fid not in self.auto_reruns:
                continue
            runs.append(await self.rerun(fragment_id=fid, auto=True))
            due[fid] = time.perf_counter() + self.auto_reruns.get(fid, 1.0)
        return runs

    # ------------------------------------------------------------------ widgets

    def widget(self, label: str) -> Widget:
        try:
            return self.widgets[label]
        except KeyError:
            raise ProtocolError(f"no widget labelled {label!r} on {self.page!r}; "
                                f"have {sorted(self.widgets)}") from None

    def set_text(self, label: str, text: str) -> None:
        widget = self.widget(label)
        self.values[widget.id] = WidgetState(id=widget.id, string_value=text)

    def set_number(self, label: str, value: float) -> None:
        widget = self.widget(label)
        if widget.kind == "slider":
            state = WidgetState(id=widget.id)
            state.double_array_value.data.append(float(value))
        elif widget.kind == "number_input" and widget.element.data_type == 0:   # INT
            state = WidgetState(id=widget.id, int_value=int(value))
        else:
            state = WidgetState(id=widget.id, double_value=float(value))
        self.values[widget.id] = state

    async def upload(self, label: str, filename: str, content: bytes) -> None:
        """Upload a file through the uploader labelled ``label`` (the next rerun sees it)."""
        widget = self.widget(label)
        request_id = uuid.uuid4().hex
        future = self._file_urls[request_id] = asyncio.get_running_loop().create_future()
        back = BackMsg()
        back.file_urls_request.request_id = request_id
        back.file_urls_request.file_names.append(filename)
        back.file_urls_request.session_id = self.session_id
        await self._send(back)
        response = await asyncio.wait_for(future, 30)
        if response.error_msg:
            raise ProtocolError(f"file URLs refused: {response.error_msg}")
        urls: FileURLs = response.file_urls[0]
        body, content_type = _multipart(filename, content)
        headers = {"Content-Type": content_type, "Origin": self.base_url}
        if self._xsrf:
            headers.update({"X-Xsrftoken": self._xsrf, "Cookie": f"{XSRF_COOKIE}={self._xsrf}"})
        status, _, reply = await asyncio.to_thread(_http, "PUT", self.base_url + urls.upload_url, body, headers)
        if status != 204:
            raise ProtocolError(f"upload of {filename} answered {status}: {reply[:200]!r}")
        state = WidgetState(id=widget.id)
        state.file_uploader_state_value.uploaded_file_info.append(UploadedFileInfo(
            name=filename, size=len(content), file_id=urls.file_id, file_urls=urls))
        self.values[widget.id] = state
