"""``PushApp``: the push intake as a small pure-ASGI 3 application.

No web framework: mount it in whatever the ERP already serves (Starlette's
``Mount``, FastAPI's ``app.mount``, Django's ASGI router) or run it alone
(``uvicorn module:app``). It answers POST with the intake's result, anything
else with 405, bodies over ``max_body`` bytes with 413, and completes the
lifespan protocol so it can also be served on its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final

from orderkit_douyin.push.intake import FAILURE_BODY, PushIntake, PushResult

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: Douyin batches messages; a megabyte is far above any batch we know of.
DEFAULT_MAX_BODY: Final = 1 << 20


class PushApp:
    """ASGI app around a ``PushIntake``.

    :param intake: verifies pushes and marks shops (its ``marks`` are what a
        scheduler takes).
    :param max_body: the largest body accepted, in bytes.
    """

    def __init__(self, intake: PushIntake, *, max_body: int = DEFAULT_MAX_BODY) -> None:
        self.intake = intake
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            raise RuntimeError(f"PushApp serves HTTP, not {scope['type']!r}")
        if scope.get("method") != "POST":
            await _respond(send, 405, FAILURE_BODY, [("allow", "POST")])
            return
        body = await self._body(receive)
        if body is None:
            await _respond(send, 413, FAILURE_BODY)
            return
        result: PushResult = self.intake.handle(scope.get("headers") or [], body)
        await _respond(send, result.status, result.body)

    async def _body(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


async def _respond(
    send: Send, status: int, body: bytes, extra: list[tuple[str, str]] | None = None
) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode("ascii")),
        *((name.encode("latin-1"), value.encode("latin-1")) for name, value in extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
