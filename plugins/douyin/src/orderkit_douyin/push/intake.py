"""``PushIntake``: Douyin's webhook, verified, turned into "sync this shop".

A push is a hint, never the only source (§4.7): a verified push only marks
the shop in ``PushMarks`` and returns at once; the scheduler takes the marks
and runs an ordinary incremental sync, which stays the source of truth. So:

- nothing here calls the platform, the database or the sync;
- a push seen before (same app and ``msg_id``, kept for the last
  ``remember`` messages) marks nothing again, and a shop marked twice before
  it is taken is still one sync: duplicates and replays are harmless;
- a push whose ``app-id`` is unknown or whose ``event-sign`` does not match
  gets 401 and one warning log line naming the reason, the app id and the
  body length (never the secret, the signature or the body).

The body is a JSON array of ``{"tag", "msg_id", "data"}``; ``data`` is a JSON
string whose ``shop_id`` (a JSON number) names the Douyin shop. Tags 100-199
(orders) and 200-299 (after-sales) mark the shop; others (400 product...)
are acknowledged and ignored.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import structlog
from orderkit.errors import OrderKitError

from orderkit_douyin.protocol import CHANNEL
from orderkit_douyin.push.marks import PushMarks
from orderkit_douyin.push.signature import verify_event_sign

if TYPE_CHECKING:
    from orderkit.kit import OrderKit

log = structlog.get_logger("orderkit.douyin.push")

SUCCESS_BODY: Final = b'{"code":0,"msg":"success"}'
FAILURE_BODY: Final = b'{"code":1,"msg":"fail"}'
APP_ID_HEADER: Final = "app-id"
SIGN_HEADER: Final = "event-sign"
DEFAULT_REMEMBER: Final = 10_000

Headers = Mapping[str, str] | Iterable[tuple[str | bytes, str | bytes]]


def is_sync_tag(tag: int) -> bool:
    """Order (100-199) and after-sale (200-299) messages change what a sync reads."""
    return 100 <= tag < 300


@dataclass(frozen=True)
class PushResult:
    """What the intake made of one push, and what to answer Douyin."""

    status: int
    body: bytes
    verified: bool
    #: orderkit shop ids this push newly marked for a sync
    marked: frozenset[str] = frozenset()
    messages: int = 0
    duplicates: int = 0
    ignored: int = 0
    reason: str | None = None

    @property
    def headers(self) -> list[tuple[str, str]]:
        """Response headers to send with ``body``."""
        return [("content-type", "application/json"), ("content-length", str(len(self.body)))]


@dataclass
class _App:
    key: str
    secret: Callable[[], str]
    shops: set[str] = field(default_factory=set)
    by_douyin_shop: dict[str, set[str]] = field(default_factory=dict)


def _lower_headers(headers: Headers) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    result: dict[str, str] = {}
    for name, value in items:
        key = name.decode("latin-1") if isinstance(name, bytes) else name
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        result[key.lower()] = text
    return result


class PushIntake:
    """Verifies Douyin pushes and marks the shops they concern.

    :param marks: where marked shops go (a new ``PushMarks`` by default).
    :param remember: how many recent ``msg_id`` s are kept to spot duplicates.
    """

    def __init__(self, marks: PushMarks | None = None, *, remember: int = DEFAULT_REMEMBER) -> None:
        self.marks = marks if marks is not None else PushMarks()
        self._apps: dict[str, _App] = {}
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._remember = remember
        self._lock = threading.Lock()

    def add_shop(
        self,
        shop_id: str,
        *,
        app_key: str,
        app_secret: str | Callable[[], str],
        douyin_shop_id: str | int | None = None,
    ) -> None:
        """Accept pushes for an orderkit shop.

        :param app_key: the Douyin app the pushes come from (header ``app-id``).
        :param app_secret: the app secret, or a callable reading it when a
            push arrives (so a rotated secret needs no restart).
        :param douyin_shop_id: the shop's id on Douyin, as pushes name it.
            Without it, a push of this app for a shop no one claims marks
            every shop of the app (a sync too many beats one missed).
        """
        secret = app_secret if callable(app_secret) else _constant(app_secret)
        app = self._apps.get(app_key)
        if app is None:
            app = self._apps[app_key] = _App(app_key, secret)
        else:
            app.secret = secret
        app.shops.add(shop_id)
        if douyin_shop_id not in (None, ""):
            app.by_douyin_shop.setdefault(str(douyin_shop_id), set()).add(shop_id)

    @classmethod
    def from_kit(cls, kit: OrderKit, marks: PushMarks | None = None) -> PushIntake:
        """An intake for every enabled Douyin shop in the kit's config. A
        shop's ``settings.douyin_shop_id`` ties pushes to it; its app secret
        is read when a push arrives."""
        intake = cls(marks)
        for shop in kit.config.shops:
            if shop.channel != CHANNEL or not shop.enabled or not shop.app_key:
                continue
            if shop.app_secret is None:
                continue
            intake.add_shop(
                shop.id,
                app_key=shop.app_key,
                app_secret=shop.app_secret.resolve,
                douyin_shop_id=shop.settings.get("douyin_shop_id"),
            )
        return intake

    @property
    def app_keys(self) -> frozenset[str]:
        return frozenset(self._apps)

    # -- one push -------------------------------------------------------------------

    def handle(self, headers: Headers, body: bytes) -> PushResult:
        """Verify one push and mark the shops it concerns; never blocks on I/O.

        :param headers: the request headers (any case).
        :param body: the raw request body, exactly as received.
        :returns: the result; answer Douyin with ``result.status`` and ``result.body``.
        """
        lowered = _lower_headers(headers)
        app_id = lowered.get(APP_ID_HEADER, "").strip()
        signature = lowered.get(SIGN_HEADER, "")
        if not app_id or not signature:
            return self._refuse(401, "missing app-id or event-sign header", app_id, body)
        app = self._apps.get(app_id)
        if app is None:
            return self._refuse(401, "unknown app-id", app_id, body)
        try:
            secret = app.secret()
        except OrderKitError as exc:  # e.g. the secret's environment variable is unset
            log.error("douyin.push.no_secret", app_id=app_id, error=str(exc))
            return PushResult(500, FAILURE_BODY, verified=False, reason="app secret unavailable")
        if not verify_event_sign(app_id, body, secret, signature):
            return self._refuse(401, "bad event-sign", app_id, body)
        return self._accept(app, body)

    def _refuse(self, status: int, reason: str, app_id: str, body: bytes) -> PushResult:
        log.warning(
            "douyin.push.rejected", reason=reason, app_id=app_id or None, body_bytes=len(body)
        )
        return PushResult(status, FAILURE_BODY, verified=False, reason=reason)

    def _accept(self, app: _App, body: bytes) -> PushResult:
        messages = _messages(body)
        if messages is None:
            # Verified, so it came from Douyin: something changed for this app.
            marked = self._mark(app.shops)
            log.warning("douyin.push.unreadable", app_id=app.key, body_bytes=len(body))
            return PushResult(200, SUCCESS_BODY, True, marked, reason="unreadable body")
        wanted: set[str] = set()
        duplicates = ignored = 0
        for message in messages:
            if self._seen_before(app.key, message.get("msg_id")):
                duplicates += 1
                continue
            tag = _int(message.get("tag"))
            if tag is None or not is_sync_tag(tag):
                ignored += 1
                continue
            wanted |= self._shops_for(app, message)
        marked = self._mark(wanted)
        log.info(
            "douyin.push.accepted",
            app_id=app.key,
            messages=len(messages),
            duplicates=duplicates,
            ignored=ignored,
            marked=sorted(marked),
        )
        return PushResult(
            200,
            SUCCESS_BODY,
            True,
            marked,
            messages=len(messages),
            duplicates=duplicates,
            ignored=ignored,
        )

    def _shops_for(self, app: _App, message: Mapping[str, Any]) -> set[str]:
        data = _data(message.get("data"))
        douyin_shop = data.get("shop_id") if data is not None else None
        if douyin_shop is not None and not isinstance(douyin_shop, bool):
            shops = app.by_douyin_shop.get(str(douyin_shop))
            if shops:
                return set(shops)
        if app.by_douyin_shop:
            log.warning("douyin.push.unknown_shop", app_id=app.key, douyin_shop_id=douyin_shop)
        return set(app.shops)

    def _mark(self, shops: Iterable[str]) -> frozenset[str]:
        return frozenset(shop for shop in sorted(shops) if self.marks.mark(shop))

    def _seen_before(self, app_key: str, msg_id: Any) -> bool:
        if msg_id in (None, ""):
            return False  # nothing to tell it apart by: treat it as new
        key = (app_key, str(msg_id))
        with self._lock:
            if key in self._seen:
                self._seen.move_to_end(key)
                return True
            self._seen[key] = None
            while len(self._seen) > self._remember:
                self._seen.popitem(last=False)
            return False


def _constant(value: str) -> Callable[[], str]:
    def secret() -> str:
        return value

    return secret


def _messages(body: bytes) -> list[Mapping[str, Any]] | None:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    if isinstance(parsed, Mapping):  # a single message, not wrapped in an array
        parsed = [parsed]
    if not isinstance(parsed, list) or not all(isinstance(m, Mapping) for m in parsed):
        return None
    return parsed


def _data(value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, Mapping):
        return value
    if isinstance(value, str | bytes):
        try:
            parsed = json.loads(value)  # ids are JSON numbers: Python keeps every digit
        except ValueError:
            return None
        return parsed if isinstance(parsed, Mapping) else None
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None
