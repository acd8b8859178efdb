"""Structured logging (structlog) with secrets and buyer PII redacted.

``configure_logging()`` installs one processor chain for the process::

    merge_contextvars -> logger name -> add_log_level -> TimeStamper(ISO, UTC) -> StackInfoRenderer
      -> format_exc_info -> redact_processor -> ConsoleRenderer | JSONRenderer

Redaction runs after tracebacks are turned into text and before anything is
rendered, so nothing reaches the output unredacted. What it hides:

- values of keys that name a secret (``app_secret``, ``access_token``, ``sign``,
  ``Authorization``...) become ``***``; so do ``token=...``/``sign=...`` pairs
  and ``Bearer ...`` credentials inside text (TOP puts ``session`` and ``sign``
  in the query string);
- every registered secret (``add_secret``, ``configure_logging(secrets=...)``)
  wherever it appears in a string, nested or not;
- buyer PII: mainland mobile and landline numbers (``138****5678``), 18-digit
  ID card numbers, and values of receiver name / phone / address keys.
  Platform-masked text (``张**``) and ciphertext are kept: they are safe and
  are what operators search for.

Configuring is global and opt-in: orderkit runs inside an ERP's process, so it
never touches logging on import.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal, TextIO, cast
from uuid import UUID

import structlog
from structlog.typing import EventDict, FilteringBoundLogger, Processor, WrappedLogger

__all__ = [
    "MASK",
    "LogFormat",
    "Redactor",
    "add_secret",
    "configure_logging",
    "get_logger",
    "mask_address",
    "mask_id_card",
    "mask_name",
    "mask_phone",
    "redact_processor",
]

LogFormat = Literal["console", "json"]
Kind = Literal["secret", "phone", "id_card", "name", "address"]

MASK = "***"
#: Shorter "secrets" are refused: masking every "abc" in every line would make
#: logs unreadable, and a 3-character secret protects nothing anyway.
MIN_SECRET_LENGTH = 4

# --- which keys hold what ----------------------------------------------------

_SECRET_LAST = frozenset(
    {
        "secret", "secrets", "password", "passwd", "pwd", "token", "tokens", "session",
        "sign", "signature", "authorization", "cookie", "credential", "credentials",
    }
)  # fmt: skip
_SECRET_COMPACT_SUFFIX = ("apikey", "privatekey", "secretkey", "sessionkey", "sessionid")
# Masked text and ciphertext are already safe; operators need them to find orders.
_SAFE_TOKENS = frozenset({"mask", "masked", "encrypt", "encrypted", "cipher", "ciphertext"})
# Platform address tokens (OAID, open_address_id) are pseudonymous ids, not PII.
_ALLOWED_COMPACT = frozenset({"addresstoken", "openaddressid", "oaid"})
# "address_id", "phone_type", "district_code": identifiers and metadata, not PII.
_META_LAST = frozenset({"id", "ids", "code", "codes", "type", "count", "kind", "level"})
_PHONE_TOKENS = frozenset({"phone", "phones", "mobile", "mobiles", "tel", "telephone"})
_PERSON_TOKENS = frozenset(
    {"receiver", "buyer", "real", "full", "contact", "consignee", "recipient", "customer"}
)
_PERSON_LAST = frozenset({"receiver", "consignee", "recipient", "addressee"})
_ADDRESS_TOKENS = frozenset({"address", "addr", "addresses"})

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=4096)
def _classify(key: str, parent: Kind | None) -> Kind | None:
    """What a key's value holds. ``parent`` is the kind of the enclosing key, so
    ``detail`` and ``raw`` count as an address only inside a receiver/address
    object (a hold reason's ``detail`` is operator text and stays readable)."""
    tokens = [t for t in _NON_ALNUM.split(_CAMEL.sub("_", key).lower()) if t]
    if not tokens:
        return None
    compact = "".join(tokens)
    last = tokens[-1]
    if compact in _ALLOWED_COMPACT or _SAFE_TOKENS.intersection(tokens):
        return None
    if last in _SECRET_LAST or compact.endswith(_SECRET_COMPACT_SUFFIX):
        return "secret"
    if last in _META_LAST:
        return None
    if "idcard" in compact or "identitycard" in compact or compact.endswith(("idno", "certno")):
        return "id_card"
    if _PHONE_TOKENS.intersection(tokens):
        return "phone"
    if last in _PERSON_LAST or (last == "name" and _PERSON_TOKENS.intersection(tokens)):
        return "name"
    if last == "name" and parent == "name":  # {"receiver": {"name": ...}}
        return "name"
    if _ADDRESS_TOKENS.intersection(tokens):
        return "address"
    if last in {"detail", "raw"} and parent in {"name", "address"}:
        return "address"
    return None


# --- what text looks like ----------------------------------------------------

_ID_CARD = (
    r"(?<!\d)[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?!\d)"
)
_MOBILE = r"(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)"
_LANDLINE = r"(?<!\d)0\d{2,3}[\s-]?\d{7,8}(?!\d)"
# ``token=...``, ``"access_token": "..."``, ``Authorization: Bearer ...``: TOP
# puts ``session`` and ``sign`` in the query string of every call.
_INLINE_SECRET_RE = re.compile(
    r"(?i)(?<![A-Za-z0-9_])"
    r"((?:access_token|refresh_token|app_secret|client_secret|session_key|sessionkey|api_key"
    r"|apikey|password|passwd|secret|signature|sign|token|session|authorization)"
    r"[\"']?\s*[=:]\s*[\"']?)"
    r"(?:(?:bearer|basic)\s+)?[^\s&,;\"'}\]]+"
)
_BEARER_RE = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_PII_RE = re.compile(f"(?P<id>{_ID_CARD})|(?P<phone>{_MOBILE}|{_LANDLINE})")

# Only a leading province and city are kept: a blind "first 6 characters" would
# keep all of a short street address.
_REGION_PREFIX_RE = re.compile(
    r"\s*(?:(?:北京|上海|天津|重庆)市?|[\u4e00-\u9fff]{2,6}?(?:省|自治区|特别行政区))?"
    r"\s*(?:[\u4e00-\u9fff]{2,8}?(?:市|自治州|地区|盟))?"
)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _id_checksum_ok(number: str) -> bool:
    # GB 11643 check digit: keeps 18-digit order ids that merely look like a
    # date in the middle from being masked (~1 in 11 would pass by chance).
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def mask_phone(text: str) -> str:
    """``13812345678`` -> ``138****5678``: first 3 and last 4 digits kept."""
    digits = "".join(c for c in text if c.isdigit())
    if len(digits) == 13 and digits.startswith("861"):
        digits = digits[2:]
    if len(digits) < 7:
        # Already masked by the platform (``*******5678``) or not a phone at all.
        return text if "*" in text else MASK
    return f"{digits[:3]}****{digits[-4:]}"


def mask_id_card(text: str) -> str:
    """``11010519491231002X`` -> ``110***********002X``: the last 4 stay for the
    receiver check some Tmall orders need."""
    return f"{text[:3]}{'*' * (len(text) - 7)}{text[-4:]}" if len(text) > 7 else MASK


def mask_name(text: str) -> str:
    """``张三`` -> ``张**`` (fixed width, so the length of the name does not show)."""
    return f"{text[0]}**" if text else text


def mask_address(text: str) -> str:
    """Keep the province/city prefix (up to 6 characters), hide the rest:
    ``浙江省杭州市西湖区文三路90号`` -> ``浙江省杭州市***``; ``文三路90号`` -> ``***``."""
    match = _REGION_PREFIX_RE.match(text)
    prefix = "".join(match.group().split()) if match else ""
    return f"{prefix[:6]}{MASK}"


def _mask_inline(match: re.Match[str]) -> str:
    return f"{match.group(1)}{MASK}"


def _mask_bearer(match: re.Match[str]) -> str:
    return f"{match.group(1)} {MASK}"


def _mask_pii(match: re.Match[str]) -> str:
    text = match.group()
    if match.lastgroup == "id":
        return mask_id_card(text) if _id_checksum_ok(text) else text
    return mask_phone(text)


_MASKERS = {
    "phone": mask_phone,
    "id_card": mask_id_card,
    "name": mask_name,
    "address": mask_address,
}
# Set by the chain itself from trusted values: nothing to scan.
_OWN_KEYS = frozenset({"timestamp", "level"})
# Values rendered without any user text in them: nothing to scan.
_PLAIN = (bool, int, float, datetime, date, time, Decimal, UUID)


class Redactor:
    """Hides secrets and buyer PII in structlog event dicts; a structlog processor.

    Thread-safe: secrets may be added (e.g. after a token refresh) while other
    threads log.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._secrets_longest_first: tuple[str, ...] = ()
        for secret in secrets:
            self.add_secret(secret)

    def add_secret(self, value: str) -> None:
        """Mask ``value`` wherever it appears in any logged string from now on.

        Values shorter than ``MIN_SECRET_LENGTH`` are ignored."""
        value = value.strip()
        if len(value) < MIN_SECRET_LENGTH:
            return
        with self._lock:
            if value in self._secrets:
                return
            self._secrets.add(value)
            # Longest first, so a secret that contains another is masked whole.
            self._secrets_longest_first = tuple(sorted(self._secrets, key=len, reverse=True))

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        for key, value in event_dict.items():
            if key in _OWN_KEYS:
                continue
            kind = _classify(key, None) if isinstance(key, str) else None
            event_dict[key] = self.redact(value, kind)
        return event_dict

    def redact(self, value: Any, kind: Kind | None = None) -> Any:
        """``value`` with secrets and PII hidden; ``kind`` is what its key says it
        holds. Unchanged values are returned as the same object."""
        if isinstance(value, str):
            return self._redact_str(value, kind)
        if value is None:
            return None
        if kind == "secret":
            return MASK
        if isinstance(value, _PLAIN):
            # A phone number logged as an int still is a phone number.
            if kind is not None and isinstance(value, int) and not isinstance(value, bool):
                return _MASKERS[kind](str(value)) if abs(value) >= 1_000_000 else value
            return value
        if isinstance(value, Mapping):
            return {
                self.scrub(k) if isinstance(k, str) else k: self.redact(
                    v, _classify(k, kind) if isinstance(k, str) else None
                )
                for k, v in value.items()
            }
        if isinstance(value, list | tuple | set | frozenset):
            items = [self.redact(item, kind) for item in value]
            return tuple(items) if isinstance(value, tuple) else items
        model_dump = getattr(value, "model_dump", None)
        if callable(model_dump) and not isinstance(value, type):  # pydantic, e.g. an Order
            return self.redact(model_dump(mode="json"), kind)
        # Anything else is rendered with repr(): redact that text.
        text = repr(value)
        redacted = self._redact_str(text, kind)
        return value if redacted == text else redacted

    def scrub(self, text: str) -> str:
        """Hide registered secrets, credentials and PII found anywhere in ``text``."""
        if len(text) < MIN_SECRET_LENGTH:  # too short to hold anything we mask
            return text
        # Cheap substring tests guard the costlier regexes; most strings in a
        # log line are ids and words that match nothing.
        for secret in self._secrets_longest_first:
            if secret in text:
                text = text.replace(secret, MASK)
        if "=" in text or ":" in text:
            text = _INLINE_SECRET_RE.sub(_mask_inline, text)
        if " " in text or "\t" in text:
            text = _BEARER_RE.sub(_mask_bearer, text)
        return _PII_RE.sub(_mask_pii, text)

    def _redact_str(self, text: str, kind: Kind | None) -> str:
        if kind == "secret":
            return MASK if text else text
        if kind is not None and text:
            # Mask even text that already has stars: "张**" stays "张**", but a raw
            # address that merely contains a "*" must not pass as masked.
            return _MASKERS[kind](text)
        return self.scrub(text)


_default_redactor = Redactor()


def redact_processor(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """structlog processor using the process-wide redactor, the one
    ``configure_logging`` installs and ``add_secret`` feeds."""
    return _default_redactor(logger, method_name, event_dict)


def add_secret(value: str) -> None:
    """Register a secret (an app secret, a refreshed access token) with the
    process-wide redactor."""
    _default_redactor.add_secret(value)


class _NamedWriteLogger(structlog.WriteLogger):
    """A ``WriteLogger`` that remembers the name it was asked for."""

    def __init__(self, file: TextIO | None = None, name: str | None = None) -> None:
        super().__init__(file)
        self.name = name


class _NamedWriteLoggerFactory:
    # structlog hands get_logger()'s positional arguments to the factory; keeping
    # the first as a name makes plain ``structlog.get_logger("orderkit.x")`` work too.
    def __init__(self, file: TextIO) -> None:
        self._file = file

    def __call__(self, *args: Any) -> _NamedWriteLogger:
        name = args[0] if args and isinstance(args[0], str) else None
        return _NamedWriteLogger(self._file, name)


def _add_logger_name(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    name = getattr(logger, "name", None)
    if name:
        event_dict.setdefault("logger", name)
    return event_dict


def _level_number(level: str) -> int:
    number = logging.getLevelNamesMapping().get(level.upper())
    if number is None:
        raise ValueError(
            f"unknown log level {level!r}: use debug, info, warning, error or critical"
        )
    return number


def configure_logging(
    *,
    fmt: LogFormat = "console",
    level: str = "info",
    stream: TextIO | None = None,
    secrets: Iterable[str] = (),
) -> None:
    """Configure structlog for the process: ``fmt`` "console" (aligned, for people)
    or "json" (one object per line, for collectors), written to ``stream``
    (default ``sys.stderr``), events below ``level`` dropped, ``secrets`` added
    to the redactor. Calling it again reconfigures; registered secrets stay."""
    if fmt not in ("console", "json"):
        raise ValueError(f"unknown log format {fmt!r}: use 'console' or 'json'")
    threshold = _level_number(level)
    for secret in secrets:
        add_secret(secret)
    out = stream if stream is not None else sys.stderr
    renderer: Processor
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer(ensure_ascii=False)
    else:
        isatty = getattr(out, "isatty", None)
        renderer = structlog.dev.ConsoleRenderer(colors=bool(isatty and isatty()))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            _add_logger_name,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            # Tracebacks become plain text *before* redaction: a renderer that
            # formats them later (Rich shows local variables) would bypass it.
            structlog.processors.format_exc_info,
            redact_processor,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(threshold),
        logger_factory=_NamedWriteLoggerFactory(out),
        # Not cached, so tests (and an ERP) can reconfigure at any time.
        cache_logger_on_first_use=False,
    )
    _guard_stdlib_loggers()


class StdlibRedactionFilter(logging.Filter):
    """Scrubs stdlib log records (httpx logs full request URLs, and TOP puts
    ``session`` and ``sign`` in the query string)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _default_redactor.scrub(record.getMessage())
        record.args = None
        return True


_STDLIB_FILTER = StdlibRedactionFilter()


def _guard_stdlib_loggers() -> None:
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if _STDLIB_FILTER not in logger.filters:
            logger.addFilter(_STDLIB_FILTER)


def get_logger(name: str | None = None) -> FilteringBoundLogger:
    """A logger whose events carry ``logger=name``; safe to create at import
    time, it follows later ``configure_logging`` calls."""
    logger = structlog.get_logger(name) if name else structlog.get_logger()
    return cast(FilteringBoundLogger, logger)
