"""Small pieces the four couriers share: digests, the customer order id, the
two parties of a booking, the cargo summary, JSON text, and one HTTP call with
transport failures mapped to ``CourierError``.

Everything here is pure except :func:`send`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import httpx

from orderkit.errors import CourierError

if TYPE_CHECKING:
    from orderkit.decisions import PickupRequest
    from orderkit.models import Order
    from orderkit.specs import CourierContext

#: ``endpoint`` value that means "the courier's built-in in-process sandbox".
SANDBOX_ENDPOINT: Final = "sandbox"

_ORDER_ID_CHARS: Final = re.compile(r"[^A-Za-z0-9_-]")
_MOBILE: Final = re.compile(r"^(?:\+?86)?1[0-9*]{10}$")


# -- digests -------------------------------------------------------------------


def md5_base64(text: str) -> str:
    """base64 of the raw 16-byte MD5 of ``text`` (UTF-8): the couriers' usual idiom."""
    return base64.b64encode(hashlib.md5(text.encode("utf-8")).digest()).decode("ascii")


def md5_hex(text: str, *, upper: bool = False) -> str:
    """Hex MD5 of ``text`` (UTF-8), lower case unless ``upper``."""
    digest = hashlib.md5(text.encode("utf-8")).hexdigest()
    return digest.upper() if upper else digest


def json_text(value: Any) -> str:
    """Compact JSON with Chinese kept as is: the exact text that is signed and sent."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# -- ids -----------------------------------------------------------------------


def customer_order_id(key: str, max_length: int) -> str:
    """The courier-side customer order id for an idempotency key.

    A key that is already plain (letters, digits, ``-``, ``_``) and short
    enough is used as is, so ops can find it in the courier's console. Any
    other key keeps a readable prefix plus a digest of the whole key: the same
    key always gives the same id (that is what makes a retry idempotent at the
    courier), and two keys that differ only in a replaced character do not
    collide.
    """
    if not key:
        raise ValueError("an idempotency key must not be empty")
    cleaned = _ORDER_ID_CHARS.sub("-", key)
    if cleaned == key and len(key) <= max_length:
        return key
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
    return f"{cleaned[: max_length - len(digest) - 1]}-{digest}"


# -- parties -------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    """A sender or receiver as the courier APIs want it.

    ``address`` is the part below the district (street + detail); when the
    province or city is unknown it carries the whole address text instead,
    which is what SF asks for in that case.
    """

    name: str
    phone: str
    province: str
    city: str
    district: str
    address: str
    company: str = ""

    @property
    def full_address(self) -> str:
        """Province + city + district + address in one string (JD's ``fullAddress``)."""
        head = "".join(p for p in (self.province, self.city, self.district) if p)
        return self.address if self.address.startswith(head) else head + self.address

    @property
    def is_mobile(self) -> bool:
        """True for a mainland mobile number (also masked, ``138****5678``)."""
        return bool(_MOBILE.match(self.phone.replace(" ", "").replace("-", "")))


def receiver_party(order: Order, courier: str) -> Party:
    """The order's receiver: cleaned province/city/district plus street and
    detail, with the masked name and phone the platform sent."""
    rcv = order.receiver
    below = "".join(p for p in (rcv.street, rcv.detail) if p)
    if rcv.province and rcv.city and below:
        province, city, district, address = rcv.province, rcv.city, rcv.district or "", below
    else:  # not cleaned (well enough): the whole text, the divisions left to the courier
        province, city, district, address = "", "", "", rcv.raw or below
    party = Party(
        name=rcv.name_masked or "",
        phone=rcv.phone_masked or "",
        province=province,
        city=city,
        district=district,
        address=address,
    )
    _require(party, "receiver", courier, "clean or decrypt the order's receiver first")
    return party


def sender_party(request: PickupRequest, settings: Mapping[str, Any], courier: str) -> Party:
    """The sender: ``request.sender`` over the courier's ``settings.sender``
    defaults. Keys: name, phone (or mobile/tel), company, province, city,
    district, address."""
    defaults = settings.get("sender")
    merged: dict[str, Any] = dict(defaults) if isinstance(defaults, Mapping) else {}
    merged.update({k: v for k, v in request.sender.items() if v not in (None, "")})
    phone = merged.get("phone") or merged.get("mobile") or merged.get("tel") or ""
    party = Party(
        name=str(merged.get("name") or ""),
        phone=str(phone),
        province=str(merged.get("province") or ""),
        city=str(merged.get("city") or ""),
        district=str(merged.get("district") or ""),
        address=str(merged.get("address") or ""),
        company=str(merged.get("company") or ""),
    )
    _require(party, "sender", courier, "set request.sender or couriers[].settings.sender")
    return party


def _require(party: Party, role: str, courier: str, hint: str) -> None:
    # Refuse before calling: the courier would refuse anyway, less clearly.
    missing = [name for name in ("name", "phone", "address") if not getattr(party, name)]
    if missing:
        raise CourierError(f"{role} has no {', '.join(missing)}: {hint}", courier=courier)


# -- cargo ---------------------------------------------------------------------


def cargo_items(request: PickupRequest) -> list[tuple[str, int]]:
    """(title, quantity) of what the shipment carries: its lines, or every
    line of the order when the shipment lists none."""
    order = request.order
    titles = {line.line_id: (line.title or line.sku or line.line_id) for line in order.lines}
    if request.shipment.lines:
        return [(titles.get(s.line_id, s.line_id), s.quantity) for s in request.shipment.lines]
    return [(titles[line.line_id], line.quantity) for line in order.lines]


def cargo_summary(request: PickupRequest) -> tuple[str, int]:
    """One name and the total quantity, for APIs that take one cargo entry."""
    items = cargo_items(request)
    total = sum(quantity for _, quantity in items)
    name = items[0][0] if len(items) == 1 else f"{items[0][0]}等{len(items)}种"
    return name, total


# -- transport -----------------------------------------------------------------


def endpoint_base(endpoint: str | None, *, production: str, sandbox: str) -> str:
    """The origin to call: None -> production, ``sandbox`` -> the in-process
    sandbox, else the configured URL (``http://127.0.0.1:8500``), no trailing ``/``."""
    base = production if not endpoint else sandbox if endpoint == SANDBOX_ENDPOINT else endpoint
    return base.rstrip("/")


def endpoint_url(endpoint: str | None, *, production: str, sandbox: str, path: str) -> str:
    """``endpoint_base`` + ``path``, unless the configured URL already ends with it."""
    base = endpoint_base(endpoint, production=production, sandbox=sandbox)
    return base if urlsplit(base).path.endswith(path.rstrip("/")) else base + path


def send(courier: CourierContext, request: httpx.Request) -> httpx.Response:
    """Send ``request``; timeouts, connection failures, 429 and 5xx become
    transient ``CourierError``s, other 4xx non-transient ones."""
    code = courier.code
    try:
        response = courier.http.send(request)
    except httpx.TimeoutException as exc:
        # The booking may have gone through: a retry with the same key is safe.
        raise CourierError(
            f"timed out ({type(exc).__name__})", courier=code, transient=True
        ) from exc
    except httpx.TransportError as exc:
        raise CourierError(
            f"cannot reach the API ({type(exc).__name__}: {exc})", courier=code, transient=True
        ) from exc
    status = response.status_code
    if status == 429 or status >= 500:
        raise CourierError(f"HTTP {status} from the API", courier=code, transient=True)
    if status >= 400:
        raise CourierError(f"HTTP {status} from the API: {_excerpt(response)}", courier=code)
    return response


def json_object(response: httpx.Response, courier: str) -> Mapping[str, Any]:
    """The response's JSON object; anything else (a proxy's error page under
    load, a bare list) is a transient failure."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, Mapping):
        raise CourierError(
            f"answered with something that is not a JSON object: {_excerpt(response)}",
            courier=courier,
            transient=True,
        )
    return body


def _excerpt(response: httpx.Response) -> str:
    return response.text[:200].replace("\n", " ")


def optional_credential(courier: CourierContext, name: str) -> str | None:
    """A credential the courier may go without (a monthly-settlement account):
    None when it is not configured. An ``env:`` reference whose variable is
    unset still fails loudly (``ConfigError``): that is a mistake, not a choice."""
    try:
        return courier.credential(name)
    except (CourierError, KeyError):
        return None


def epoch_millis(courier: CourierContext) -> int:
    """The courier clock's now in milliseconds (SF, YTO timestamps)."""
    return int(courier.clock.now().timestamp() * 1000)
