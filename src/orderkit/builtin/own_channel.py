"""The built-in ``own`` channel: orders from the merchant's own site or
mini-program (自有商城 / 小程序), which the ERP pushes in with ``kit.ingest``.

It has no platform API to poll, so it requires no ``fetch_orders``; its
status table uses plain codes the ERP sets itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from orderkit._markers import hookimpl
from orderkit._resources import data_path
from orderkit.specs import ChannelSpec, PagingStyle

CODE = "own"


@hookimpl
def register_channels(register: Callable[[ChannelSpec], None]) -> None:
    register(
        ChannelSpec(
            code=CODE,
            display_name="Own site / mini-program (自有商城)",
            max_window=timedelta(days=1),
            default_overlap=timedelta(0),
            paging=PagingStyle.CURSOR,
            status_table=data_path("status", "own.json"),
            required_hooks=(),
        )
    )
