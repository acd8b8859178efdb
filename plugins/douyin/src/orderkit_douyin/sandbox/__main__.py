"""Serve the Douyin sandbox over HTTP on loopback: ``python -m orderkit_douyin.sandbox``.

``orderkit sandbox douyin --port N`` does the same through the core CLI; this
entry point also takes ``--push-url`` (a loopback URL, e.g. a ``PushApp``
under uvicorn) and ``--tick`` (how often scheduled changes are made visible
and pushed, in seconds).
"""

from __future__ import annotations

import argparse
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

from orderkit_douyin.sandbox import DouyinSandbox


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # the request line carries the access token in its query: never print it


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--push-url", default=None, help="loopback URL to send pushes to")
    parser.add_argument("--tick", type=float, default=5.0, help="seconds between change checks")
    args = parser.parse_args(argv)
    sandbox = DouyinSandbox(orders=args.orders, seed=args.seed, push_to=args.push_url)
    url = f"http://127.0.0.1:{args.port}"
    print(f"Douyin sandbox: {url} ({args.orders} orders, seed {args.seed})")
    print(
        f"app_key={sandbox.app_key} douyin_shop_id={sandbox.douyin_shop_id} (secrets as configured)"
    )
    stop = threading.Event()

    def ticker() -> None:
        while not stop.wait(args.tick):
            sandbox.tick()

    if args.push_url:
        threading.Thread(target=ticker, name="douyin-sandbox-ticker", daemon=True).start()
    with make_server(
        "127.0.0.1", args.port, sandbox.wsgi_app, handler_class=_QuietHandler
    ) as server:
        try:
            server.serve_forever()
        finally:
            stop.set()


if __name__ == "__main__":
    main()
