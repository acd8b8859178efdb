"""``orderkit sandbox CODE --port N``: serve a plugin's sandbox over HTTP, for
trying an ERP or a shop config against it (``endpoint: http://127.0.0.1:N``)."""

from __future__ import annotations

from wsgiref.simple_server import WSGIRequestHandler, make_server

import typer

from orderkit.cli.common import console


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def sandbox(
    code: str = typer.Argument(..., help="Channel or courier code, e.g. taobao."),
    port: int = typer.Option(8500, "--port", help="Port on 127.0.0.1."),
    orders: int = typer.Option(1000, "--orders", help="How many generated orders to serve."),
    seed: int = typer.Option(1, "--seed", help="Generation seed (deterministic)."),
) -> None:
    """Serve the sandbox of CODE on 127.0.0.1 until interrupted."""
    from orderkit.builtin import core_host

    host = core_host()
    is_channel = code in host.channels
    spec = host.channels[code].spec if is_channel else host.courier(code)
    if spec.sandbox_factory is None:
        raise typer.BadParameter(f"{code} ships no sandbox")
    # Courier sandboxes book on demand: they ignore ``orders``.
    box = spec.sandbox_factory(orders=orders, seed=seed)
    server = make_server("127.0.0.1", port, box.wsgi_app, handler_class=_QuietHandler)
    what = f"{orders} orders, seed {seed}" if is_channel else f"seed {seed}"
    console.print(f"{code} sandbox on http://127.0.0.1:{port} ({what}); Ctrl-C stops it")
    credentials = getattr(box, "credentials", None)
    if not is_channel and callable(credentials):
        # Sandbox defaults, not real secrets: what a couriers: entry needs to talk to it.
        pairs = ", ".join(f"{k}={v}" for k, v in credentials().items())
        console.print(f"endpoint: http://127.0.0.1:{port}; credentials it accepts: {pairs}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
