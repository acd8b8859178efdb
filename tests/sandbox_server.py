"""Serve a plugin's sandbox over HTTP in its own process, for tests that kill
and restart ``orderkit run``: the platform must outlive our crashes.

python -m tests.sandbox_server CODE '{"seed": 1, "orders": 5000, ...}'

Options are passed to the plugin's ``sandbox_factory``; ``frozen_at`` (ISO
time) pins the sandbox clock, so two sandboxes started apart answer alike
(same modified times for the trades they ship). Prints ``PORT <n>`` once
listening.
"""

from __future__ import annotations

import json
import sys
import threading
from datetime import datetime
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class _Threaded(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def main() -> None:
    from orderkit.builtin import core_host
    from orderkit.clock import FakeClock

    code, raw = sys.argv[1], sys.argv[2]
    options: dict[str, Any] = json.loads(raw)
    frozen = options.pop("frozen_at", None)
    if frozen:
        options["clock"] = FakeClock(datetime.fromisoformat(frozen))
    for key in ("start", "end"):
        if isinstance(options.get(key), str):
            options[key] = datetime.fromisoformat(options[key])
    host = core_host()
    spec: Any = host.channels[code].spec if code in host.channels else host.courier(code)
    box = spec.sandbox_factory(**options)
    lock = threading.Lock()  # sandboxes keep state in memory; one request at a time

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        with lock:
            return list(box.wsgi_app(environ, start_response))

    server = make_server("127.0.0.1", 0, app, server_class=_Threaded, handler_class=_Quiet)
    print(f"PORT {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
