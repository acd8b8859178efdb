"""Address hints from a Taobao order's structured receiver fields.

Taobao sends the address as levels (``receiver_state/city/district/town``)
plus a masked detail; the mapping keeps them on ``Order.receiver``. The
``clean_address`` request carries only text, channel, shop and hints, so a
``wrapper=True`` hookimpl here could not see those levels; whoever builds the
request from an order passes ``address_hints(order.receiver)`` instead.
"""

from __future__ import annotations

from orderkit.address.types import AddressHints
from orderkit.models import Receiver


def address_hints(receiver: Receiver) -> AddressHints | None:
    """The levels Taobao stated, as cleaner hints; None when it stated none.

    For 省直辖县级 units (河南 济源市) ``city`` is None and ``district`` holds
    the unit, exactly as the platform split it.
    """
    if not (receiver.province or receiver.city or receiver.district or receiver.street):
        return None
    return AddressHints(
        province=receiver.province,
        city=receiver.city,
        district=receiver.district,
        street=receiver.street,
    )
