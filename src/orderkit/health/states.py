"""Lifecycle groups the monitors and the health index share, and which
canonical lifecycles agree with what a platform says."""

from __future__ import annotations

from orderkit.models import Lifecycle

L = Lifecycle

#: Orders nothing is owed on any more. ``completed`` is not terminal in the
#: lifecycle data (an after-sale refund may still close it), but counting every
#: completed order as open would let history swamp the figures.
ENDED: frozenset[Lifecycle] = frozenset({L.COMPLETED, L.CANCELLED, L.CLOSED})

#: Paid and not yet (fully) shipped: the seller owes the buyer a parcel.
AWAITING_SHIPMENT: frozenset[Lifecycle] = frozenset(
    {L.PAID, L.ON_HOLD, L.APPROVED, L.ALLOCATED, L.PACKED, L.PARTIALLY_SHIPPED}
)

#: Platform lifecycle -> the canonical lifecycles that agree with it.
#:
#: - ``paid``: orderkit's internal states (on_hold .. packed) are warehouse
#:   work no platform has words for. ``partially_shipped`` and ``shipped``
#:   agree too: orderkit sets them only once the channel accepted the tracking
#:   number, and Douyin keeps saying "to ship" until the courier's first scan.
#: - ``partially_shipped``: the rest was uploaded; the platform catches up.
#: - ``shipped``: the courier's progress (in transit, delivered) is ahead of
#:   platforms that have no such states (Taobao says "shipped" until receipt).
#: - ``delivered``: orderkit completes channels without a completion signal.
#: - ``cancelled``: arriving after shipping it is recorded as ``closed``.
#:
#: Everything else is drift: an order orderkit ended that the platform still
#: sells, a parcel the courier delivered that the platform never saw shipped,
#: a platform status orderkit cannot read (no platform lifecycle at all).
AGREES_WITH: dict[Lifecycle, frozenset[Lifecycle]] = {
    L.PENDING_PAYMENT: frozenset({L.PENDING_PAYMENT}),
    L.PAID: frozenset(
        {L.PAID, L.ON_HOLD, L.APPROVED, L.ALLOCATED, L.PACKED, L.PARTIALLY_SHIPPED, L.SHIPPED}
    ),
    L.PARTIALLY_SHIPPED: frozenset({L.PARTIALLY_SHIPPED, L.SHIPPED}),
    L.SHIPPED: frozenset({L.SHIPPED, L.IN_TRANSIT, L.DELIVERED}),
    L.IN_TRANSIT: frozenset({L.IN_TRANSIT, L.DELIVERED}),
    L.DELIVERED: frozenset({L.DELIVERED, L.COMPLETED}),
    L.COMPLETED: frozenset({L.COMPLETED}),
    L.CANCELLED: frozenset({L.CANCELLED, L.CLOSED}),
    L.CLOSED: frozenset({L.CLOSED}),
}


def agrees(canonical: str, platform: str | None) -> bool:
    """Whether orderkit's lifecycle and the platform's last word agree."""
    if platform is None:
        return False  # orderkit could not read what the platform said
    try:
        return Lifecycle(canonical) in AGREES_WITH[Lifecycle(platform)]
    except (ValueError, KeyError):
        return False


def values(states: frozenset[Lifecycle] | list[str]) -> list[str]:
    """Sorted text values, for ``IN (...)`` clauses."""
    return sorted(str(s) for s in states)


#: Actors that are people (the CLI's default is ``user:cli``).
PERSON_PREFIX = "user:"
