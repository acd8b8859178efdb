"""Address hints from a Douyin order's ``post_addr``.

Douyin sends the address as named objects (province / city / town / street,
each with a platform id) plus a detail; the mapping keeps them on
``Order.receiver`` (``province``, ``city``, ``district``, ``street``,
``platform_region_ids``). The core cleaner should get them as hints instead
of re-reading them out of one joined string; splitting delivery instructions
(小区东门保安室) stays the cleaner's job.

``address_hints(receiver)`` builds the hints. The ``clean_address`` wrapper
sets them for Douyin requests, but an ``AddressRequest`` carries only text,
channel, shop and hints: it reads the receiver from ``request.receiver``,
an attribute the core does not have yet (see docs/douyin.md, "Address
hints"). Until the core adds it, whoever builds the request from an order
passes ``hints=address_hints(order.receiver)``.
"""

from __future__ import annotations

from orderkit.address.types import AddressHints, AddressRequest
from orderkit.models import Receiver

from orderkit_douyin.protocol import CHANNEL


def address_hints(receiver: Receiver) -> AddressHints | None:
    """The levels and region ids Douyin stated, as cleaner hints; None when
    it stated none. ``platform_ids`` keeps Douyin's own level names
    (``province``, ``city``, ``town``, ``street``)."""
    if not (receiver.province or receiver.city or receiver.district or receiver.street):
        return None
    return AddressHints(
        province=receiver.province,
        city=receiver.city,
        district=receiver.district,
        street=receiver.street,
        platform_ids=dict(receiver.platform_region_ids),
    )


def hint_request(request: AddressRequest) -> None:
    """Set ``request.hints`` for a Douyin request that has none and carries
    its order's receiver; leave every other request alone."""
    if request.channel != CHANNEL or request.hints is not None:
        return
    receiver = getattr(request, "receiver", None)  # not a core field yet
    if isinstance(receiver, Receiver):
        request.hints = address_hints(receiver)
