"""Serve the Taobao sandbox over HTTP on loopback: ``python -m orderkit_taobao.sandbox``.

``orderkit sandbox taobao --port N`` does the same through the core CLI; this
entry point is for trying the sandbox without a config file.
"""

from __future__ import annotations

import argparse
from wsgiref.simple_server import WSGIRequestHandler, make_server

from orderkit_taobao.sandbox import TaobaoSandbox


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # the request line carries no secret (they are in the body), but it is noise


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    sandbox = TaobaoSandbox(orders=args.orders, seed=args.seed)
    url = f"http://127.0.0.1:{args.port}"
    print(f"Taobao sandbox: {url}/router/rest ({args.orders} trades, seed {args.seed})")
    print(f"app_key={sandbox.app_key} session={sandbox.session} (app_secret as configured)")
    with make_server(
        "127.0.0.1", args.port, sandbox.wsgi_app, handler_class=_QuietHandler
    ) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
