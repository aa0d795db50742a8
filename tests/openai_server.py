"""A scripted OpenAI-compatible HTTP server on 127.0.0.1, for tests and benchmarks.

The server speaks enough of the OpenAI REST API for the real ``openai`` client to talk to it:
``POST /v1/chat/completions`` and ``GET /v1/models``. What it answers comes from a *script*:

* a callable ``request_body -> Reply | str``, asked once per chat request, or
* a list of replies consumed in order; once it is used up the server repeats the last one
  (or answers ``default`` when one is given).

A :class:`Reply` is a text message, a list of tool calls, an HTTP error (with headers such as
``Retry-After``), raw bytes (garbage, invalid UTF-8, huge bodies), a connection closed
mid-reply, or no answer at all; any of them can wait ``delay`` seconds first. A plain string
in a script stands for ``Reply.text(string)``.

The server records every request (body and headers; the ``Authorization`` value is dropped
and only its presence is kept) and the largest number of chat requests it held at once::

    with OpenAIServer(["4", Reply.error(500), "5"]) as server:
        client = openai.OpenAI(base_url=server.url, api_key="sk-test")
        ...
        assert server.max_in_flight == 1

It binds only 127.0.0.1 on a free port and stops cleanly, releasing requests that are
waiting or hanging, when closed.
"""

from __future__ import annotations

import itertools
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Literal

logger = logging.getLogger(__name__)

ReplyKind = Literal["text", "tool_calls", "error", "raw", "disconnect", "hang"]
Script = Callable[[dict[str, Any]], "Reply | str"] | Sequence["Reply | str"]

_RESPONSE_FORMAT_TYPES = ("text", "json_object", "json_schema")


@dataclass(frozen=True)
class Reply:
    """One scripted answer; build it with the class methods rather than by hand.

    Attributes:
        kind: what the server does.
        content: the message text (``text``).
        tool_calls: ``[{"name": ..., "arguments": {...} or "..."}]`` (``tool_calls``).
        status: the HTTP status (``error`` and ``raw``).
        body: the error body (``error``) or the exact bytes sent (``raw``).
        headers: extra response headers, e.g. ``{"Retry-After": "1"}``.
        delay: seconds to wait before answering.
        prompt_tokens: usage reported; estimated from the request when ``None``.
        completion_tokens: usage reported; estimated from the content when ``None``.
    """

    kind: ReplyKind = "text"
    content: str = ""
    tool_calls: tuple[Mapping[str, Any], ...] = ()
    status: int = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    @classmethod
    def text(cls, content: str, *, delay: float = 0.0, **usage: int) -> Reply:
        """An assistant message with ``content``."""
        return cls("text", content=content, delay=delay, **usage)

    @classmethod
    def tools(
        cls, calls: Sequence[Mapping[str, Any]], *, content: str = "", delay: float = 0.0
    ) -> Reply:
        """An assistant message calling tools: each call a ``name`` and its ``arguments``."""
        return cls("tool_calls", content=content, tool_calls=tuple(calls), delay=delay)

    @classmethod
    def error(
        cls,
        status: int,
        message: str = "scripted error",
        *,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
    ) -> Reply:
        """An HTTP error with an OpenAI-style ``{"error": {...}}`` body."""
        body = {"error": {"message": message, "type": "scripted_error", "code": status}}
        return cls("error", status=status, body=body, headers=dict(headers or {}), delay=delay)

    @classmethod
    def rate_limited(cls, retry_after: float | None = None) -> Reply:
        """HTTP 429, with a ``Retry-After`` header in seconds when given."""
        headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
        return cls.error(429, "rate limit reached", headers=headers)

    @classmethod
    def raw(
        cls, data: bytes, *, status: int = 200, content_type: str = "application/json"
    ) -> Reply:
        """Exactly these bytes as the body (garbage, invalid UTF-8, a huge body...)."""
        return cls("raw", status=status, body=bytes(data), headers={"Content-Type": content_type})

    @classmethod
    def disconnect(cls, *, delay: float = 0.0) -> Reply:
        """Start a reply, send half of it and close the connection."""
        return cls("disconnect", delay=delay)

    @classmethod
    def hang(cls) -> Reply:
        """Never answer; the request is held until the client gives up or the server closes."""
        return cls("hang")


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the server saw it.

    Attributes:
        method: ``GET`` or ``POST``.
        path: the request path, e.g. ``/v1/chat/completions``.
        body: the decoded JSON body (``None`` when there was none or it was not JSON).
        headers: the headers, lower-cased, without ``authorization``.
        has_auth: whether an ``Authorization`` header was sent.
    """

    method: str
    path: str
    body: dict[str, Any] | None
    headers: dict[str, str]
    has_auth: bool


def estimate_tokens(text: str) -> int:
    """A deterministic stand-in for a tokenizer: about one token per four characters."""
    return max(1, (len(text) + 3) // 4)


def _request_text(body: Mapping[str, Any]) -> str:
    parts = []
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, Mapping) else None
        parts.append(content if isinstance(content, str) else json.dumps(content))
    return "\n".join(parts)


def check_chat_request(body: Any, *, structured_output: bool = True) -> str | None:
    """The problem with a chat request body, in words, or ``None`` when it is acceptable."""
    if not isinstance(body, Mapping):
        return "the body must be a JSON object"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "'model' is required"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty list"
    if any(not isinstance(m, Mapping) or "role" not in m for m in messages):
        return "every message needs a 'role'"
    response_format = body.get("response_format")
    if response_format is not None:
        if not structured_output:
            return "response_format is not supported by this server"
        kind = response_format.get("type") if isinstance(response_format, Mapping) else None
        if kind not in _RESPONSE_FORMAT_TYPES:
            return f"response_format.type must be one of {_RESPONSE_FORMAT_TYPES}"
        if kind == "json_schema":
            schema = response_format.get("json_schema")
            if not isinstance(schema, Mapping) or not isinstance(schema.get("name"), str):
                return "response_format.json_schema needs a 'name'"
            if not isinstance(schema.get("schema"), Mapping):
                return "response_format.json_schema.schema must be a JSON Schema object"
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            return "'tools' must be a list"
        for tool in tools:
            function = tool.get("function") if isinstance(tool, Mapping) else None
            if tool.get("type") != "function" or not isinstance(function, Mapping):
                return "each tool must be {'type': 'function', 'function': {...}}"
            if not isinstance(function.get("name"), str):
                return "each tool function needs a 'name'"
    return None


def completion_body(reply: Reply, request: Mapping[str, Any], number: int) -> dict[str, Any]:
    """The ``chat.completion`` JSON object for a ``text`` or ``tool_calls`` reply."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.content or None}
    finish_reason = "stop"
    if reply.kind == "tool_calls":
        message["tool_calls"] = [
            {
                "id": f"call_{number}_{i}",
                "type": "function",
                "function": {
                    "name": call["name"],
                    "arguments": call["arguments"]
                    if isinstance(call.get("arguments"), str)
                    else json.dumps(call.get("arguments", {})),
                },
            }
            for i, call in enumerate(reply.tool_calls)
        ]
        finish_reason = "tool_calls"
    prompt = reply.prompt_tokens
    completion = reply.completion_tokens
    prompt = estimate_tokens(_request_text(request)) if prompt is None else prompt
    completion = estimate_tokens(reply.content) if completion is None else completion
    return {
        "id": f"chatcmpl-{number}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "unknown"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


class OpenAIServer:
    """A scripted OpenAI-compatible server in a background thread (see the module docstring).

    Args:
        script: a callable or a list of replies; ``None`` answers ``default`` every time.
        default: the reply once a list script is used up; repeats the list's last reply when
            ``None``.
        structured_output: when ``False`` the server rejects any ``response_format`` with
            HTTP 400, as servers without structured output do.
        models: the ids ``GET /v1/models`` lists.
    """

    def __init__(
        self,
        script: Script | None = None,
        *,
        default: Reply | str | None = None,
        structured_output: bool = True,
        models: Sequence[str] = ("test-model",),
    ) -> None:
        self.structured_output = structured_output
        self.models = tuple(models)
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._completion_ids = itertools.count(1)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._default: Reply | str | None = default
        self.set_script(script)

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> OpenAIServer:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        if self._httpd is not None:
            return self
        handler = type("BoundHandler", (_Handler,), {"owner": self})
        self._httpd = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="openai-test-server",
            daemon=True,
        )
        self._thread.start()
        logger.debug("scripted OpenAI server listening on %s", self.url)
        return self

    def close(self) -> None:
        """Release waiting requests, stop serving and free the port."""
        if self._httpd is None:
            return
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the server is not started; call start() or use it in a with block")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The base URL to give the openai client, ending in ``/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    # -- script and records ---------------------------------------------------------------

    def set_script(self, script: Script | None) -> None:
        """Replace the script; the records are kept."""
        with self._lock:
            self._script = script
            self._position = 0

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """The recorded ``POST /v1/chat/completions`` requests, in arrival order."""
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def reset_records(self) -> None:
        """Forget the recorded requests and the in-flight maximum."""
        with self._lock:
            self.requests.clear()
            self.max_in_flight = self.in_flight

    def next_reply(self, body: dict[str, Any]) -> Reply:
        """The scripted reply to this chat request body."""
        with self._lock:
            script = self._script
            if script is None or callable(script):
                chosen = self._default if script is None else None
            elif self._position < len(script):
                chosen = script[self._position]
                self._position += 1
            else:
                chosen = self._default if self._default is not None else (script or [None])[-1]
        if callable(script):
            chosen = script(body)
        if chosen is None:
            chosen = "ok"
        return Reply.text(chosen) if isinstance(chosen, str) else chosen

    def _record(self, request: RecordedRequest, counts: bool) -> None:
        with self._lock:
            self.requests.append(request)
            if counts:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _release(self) -> None:
        with self._lock:
            self.in_flight -= 1


class _Server(ThreadingHTTPServer):
    """Threads per connection, and a listen queue deep enough for many clients at once."""

    daemon_threads = True
    # The default of 5 drops connections when a client opens 16 or more at once.
    request_queue_size = 128


class _Handler(BaseHTTPRequestHandler):
    """Serves one connection (keep-alive) for :class:`OpenAIServer`."""

    owner: ClassVar[OpenAIServer]
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes; without this the second waits on the
    # client's delayed acknowledgement (about 40 ms a reply).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._read_and_record(counts=False)
        if self.path.rstrip("/").endswith("/models"):
            data = [{"id": m, "object": "model", "owned_by": "test"} for m in self.owner.models]
            self._send_json(200, {"object": "list", "data": data})
        else:
            self._send_json(404, {"error": {"message": f"no route {self.path}", "code": 404}})

    def do_POST(self) -> None:
        body = self._read_and_record(counts=self.path.endswith("/chat/completions"))
        if not self.path.endswith("/chat/completions"):
            self._send_json(404, {"error": {"message": f"no route {self.path}", "code": 404}})
            return
        try:
            self._answer_chat(body)
        finally:
            self.owner._release()

    def _read_and_record(self, counts: bool) -> dict[str, Any] | None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in self.headers.items() if k.lower() != "authorization"}
        record = RecordedRequest(
            method=self.command,
            path=self.path,
            body=body if isinstance(body, dict) else None,
            headers=headers,
            has_auth="authorization" in {k.lower() for k in self.headers},
        )
        self.owner._record(record, counts)
        return record.body

    def _answer_chat(self, body: dict[str, Any] | None) -> None:
        problem = check_chat_request(body, structured_output=self.owner.structured_output)
        if problem is not None or body is None:
            error = {"message": problem, "type": "invalid_request_error", "code": 400}
            self._send_json(400, {"error": error})
            return
        reply = self.owner.next_reply(body)
        if reply.delay and self.owner._closing.wait(reply.delay):
            return
        if reply.kind == "hang":
            self.owner._closing.wait()
            self.close_connection = True
        elif reply.kind == "error":
            self._send_json(reply.status, reply.body, reply.headers)
        elif reply.kind == "raw":
            self._send_bytes(reply.status, reply.body, reply.headers)
        elif reply.kind == "disconnect":
            self._send_half_and_close()
        else:
            number = next(self.owner._completion_ids)
            self._send_json(200, completion_body(reply, body, number), reply.headers)

    def _send_json(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self._send_bytes(status, data, {"Content-Type": "application/json", **(headers or {})})

    def _send_bytes(self, status: int, data: bytes, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _send_half_and_close(self) -> None:
        data = json.dumps({"id": "chatcmpl-cut", "choices": [{"message": {}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)
