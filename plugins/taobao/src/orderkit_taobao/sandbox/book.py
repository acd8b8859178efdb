"""The sandbox's trade store: each trade's versions, which one is current, a
modified-time index for incremental queries, the schedule of versions still
to come, and the ground truth.

A version becomes current when the sandbox clock reaches its time (checked
on every request), so trades change while a sync runs. The index is a sorted
list of ``(modified, tid)``; a query is two bisections and a slice.

The ground truth is *platform semantics*, written here independently of the
plugin's mapping and status table, so tests that compare the two check both.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from orderkit.models import Lifecycle, PresaleState, RefundState
from orderkit_taobao.protocol import from_epoch
from orderkit_taobao.sandbox.generator import Base, Generated, Version

_LIFECYCLE: Final = {
    "TRADE_NO_CREATE_PAY": Lifecycle.PENDING_PAYMENT,
    "WAIT_BUYER_PAY": Lifecycle.PENDING_PAYMENT,
    "PAY_PENDING": Lifecycle.PENDING_PAYMENT,
    "WAIT_PRE_AUTH_CONFIRM": Lifecycle.PENDING_PAYMENT,
    "PAID_FORBID_CONSIGN": Lifecycle.PAID,
    "WAIT_SELLER_SEND_GOODS": Lifecycle.PAID,
    "SELLER_CONSIGNED_PART": Lifecycle.PARTIALLY_SHIPPED,
    "WAIT_BUYER_CONFIRM_GOODS": Lifecycle.SHIPPED,
    "TRADE_BUYER_SIGNED": Lifecycle.DELIVERED,
    "TRADE_FINISHED": Lifecycle.COMPLETED,
    "TRADE_CLOSED_BY_TAOBAO": Lifecycle.CANCELLED,
}
_PRESALE: Final = {
    "FRONT_NOPAID_FINAL_NOPAID": PresaleState.NONE,
    "FRONT_PAID_FINAL_NOPAID": PresaleState.DEPOSIT_PAID,
    "FRONT_PAID_FINAL_PAID": PresaleState.BALANCE_PAID,
    "FRONT_PAID_FRONT_FORFEITED": PresaleState.DEPOSIT_PAID,
}
#: What ``type=guarantee_trade`` matches among trade ``type`` values.
TYPE_ALIASES: Final = {"guarantee_trade": ("guarantee_trade", "fixed", "auction")}
_BIG: Final = 1 << 64


@dataclass(frozen=True)
class ExpectedOrder(Mapping[str, Any]):
    """What a correct sync should hold for one trade, as of the sandbox's now.

    Read it as attributes or as a mapping (``truth["modified_at"]``), which is
    what ``orderkit.testing``'s contract expects of a sandbox's ground truth.
    """

    external_id: str
    lifecycle: Lifecycle | None  # None when the trade is malformed
    refund: RefundState
    presale: PresaleState
    modified_at: datetime
    status: str
    #: The field a defect was put in (``malformed_rate``): expect a dead letter.
    malformed: str | None = None

    def __getitem__(self, key: str) -> Any:
        if key not in _EXPECTED_KEYS:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(_EXPECTED_KEYS)

    def __len__(self) -> int:
        return len(_EXPECTED_KEYS)


_EXPECTED_KEYS: Final = (
    "external_id",
    "lifecycle",
    "refund",
    "presale",
    "modified_at",
    "status",
    "malformed",
)


def sub_orders_of(raw: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    orders = raw.get("orders")
    if isinstance(orders, Mapping):
        orders = orders.get("order")
    return [o for o in orders if isinstance(o, Mapping)] if isinstance(orders, list) else []


def expected(external_id: str, version: Version) -> ExpectedOrder:
    """Platform semantics of one version (see the module docstring)."""
    raw = version.raw
    orders = sub_orders_of(raw)
    status = str(raw.get("status", ""))
    consigned = bool(raw.get("consign_time")) or any(
        o.get("consign_time") or o.get("invoice_no") for o in orders
    )
    if status == "TRADE_CLOSED":
        lifecycle: Lifecycle | None = Lifecycle.CLOSED if consigned else Lifecycle.CANCELLED
    else:
        lifecycle = _LIFECYCLE.get(status)
    refunds = [str(o.get("refund_status") or "NO_REFUND") for o in orders]
    if "WAIT_SELLER_AGREE" in refunds:
        refund = RefundState.REQUESTED
    elif "WAIT_BUYER_RETURN_GOODS" in refunds or "WAIT_SELLER_CONFIRM_GOODS" in refunds:
        refund = RefundState.IN_PROGRESS
    elif "SUCCESS" in refunds:
        refund = (
            RefundState.REFUNDED
            if all(code == "SUCCESS" for code in refunds)
            else RefundState.PARTIALLY_REFUNDED
        )
    elif "SELLER_REFUSE_BUYER" in refunds:
        refund = RefundState.REJECTED
    else:
        refund = RefundState.NONE
    return ExpectedOrder(
        external_id=external_id,
        lifecycle=None if version.malformed else lifecycle,
        refund=refund,
        presale=_PRESALE.get(str(raw.get("step_trade_status", "")), PresaleState.NONE),
        modified_at=from_epoch(version.at),
        status=status,
        malformed=version.malformed,
    )


class Record:
    """One trade and its versions."""

    __slots__ = ("base", "current", "external_id", "tid", "versions")

    def __init__(self, tid: int, base: Base | None, versions: list[Version]) -> None:
        self.tid = tid
        self.external_id = str(tid)
        self.base = base
        self.versions = versions
        self.current = -1  # not visible yet

    @property
    def version(self) -> Version:
        return self.versions[self.current]


class TradeBook:
    """All trades of one sandbox; see the module docstring. Not thread-safe:
    the handler serialises access."""

    def __init__(self, generated: Iterable[Generated], now_s: int) -> None:
        self._records: dict[int, Record] = {}
        self._index: list[tuple[int, int]] = []
        self._pending: list[tuple[int, int, int]] = []  # (at, tid, version index)
        self._generation = 0
        self._cache: dict[tuple[Any, ...], list[Record]] = {}
        for item in generated:
            tid = int(item.versions[0].raw["tid"])
            record = Record(tid, item.base, item.versions)
            self._records[tid] = record
            for number, version in enumerate(item.versions):
                if version.at <= now_s:
                    record.current = number
                else:
                    self._pending.append((version.at, tid, number))
            if record.current >= 0:
                self._index.append((record.version.at, tid))
        self._index.sort()
        heapq.heapify(self._pending)
        self.now_s = now_s

    # -- time ----------------------------------------------------------------

    def advance(self, now_s: int) -> None:
        """Make every version due by ``now_s`` current."""
        self.now_s = now_s
        pending = self._pending
        while pending and pending[0][0] <= now_s:
            _at, tid, number = heapq.heappop(pending)
            record = self._records[tid]
            if number > record.current:
                self._set_current(record, number)

    # -- reading -------------------------------------------------------------

    def get(self, tid: int) -> Record | None:
        record = self._records.get(tid)
        return record if record is not None and record.current >= 0 else None

    def __len__(self) -> int:
        return len(self._index)

    def visible(self) -> Iterable[Record]:
        return (record for record in self._records.values() if record.current >= 0)

    def query(
        self, start_s: int, end_s: int, types: frozenset[str] | None, status: str | None
    ) -> list[Record]:
        """Visible trades with start_s <= modified <= end_s, newest first (ties:
        larger tid first), of the given types and status."""
        key = (start_s, end_s, types, status, self._generation)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        lo = bisect_left(self._index, (start_s, -1))
        hi = bisect_right(self._index, (end_s, _BIG))
        records = self._records
        found = []
        for _at, tid in reversed(self._index[lo:hi]):
            record = records[tid]
            raw = record.version.raw
            if types is not None and raw.get("type") not in types:
                continue
            if status is not None and raw.get("status") != status:
                continue
            found.append(record)
        self._cache = {key: found}  # paging re-asks the same window; one entry is enough
        return found

    def truth(self) -> dict[str, ExpectedOrder]:
        return {r.external_id: expected(r.external_id, r.version) for r in self.visible()}

    # -- writing -------------------------------------------------------------

    def put(self, tid: int, version: Version, base: Base | None = None) -> Record:
        """Append ``version`` to a trade (a new trade if ``tid`` is unknown) and
        make it current at once."""
        record = self._records.get(tid)
        if record is None:
            record = Record(tid, base, [])
            self._records[tid] = record
        record.versions.append(version)
        self._set_current(record, len(record.versions) - 1)
        return record

    def _set_current(self, record: Record, number: int) -> None:
        if record.current >= 0:
            old = (record.version.at, record.tid)
            position = bisect_left(self._index, old)
            if position < len(self._index) and self._index[position] == old:
                del self._index[position]
        record.current = number
        insort(self._index, (record.version.at, record.tid))
        self._generation += 1


def expected_types(requested: str | None, default: Iterable[str]) -> frozenset[str]:
    """The trade ``type`` values a ``type`` parameter selects."""
    names = [t.strip() for t in requested.split(",")] if requested else list(default)
    selected: set[str] = set()
    for name in names:
        if name:
            selected.update(TYPE_ALIASES.get(name, (name,)))
    return frozenset(selected)
