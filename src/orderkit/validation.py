"""Turn a payload into a canonical ``Order``, with errors that name the field."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from orderkit.errors import InvalidOrder
from orderkit.models import Order


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(text: str) -> str:
    # pydantic prefixes custom errors with "Value error, "; ops don't need it.
    return text.removeprefix("Value error, ")


def validate_order(payload: dict[str, Any] | str | bytes, *, context: str = "") -> Order:
    """Validate a dict or JSON text as a canonical order.

    :param context: what the payload is, for the message (``"trade 123"``);
        channel plugins pass it so the dead letter names the platform order.
    :raises InvalidOrder: with every field error; ``field`` is the first one's path.
    """
    try:
        if isinstance(payload, str | bytes):
            return Order.model_validate_json(payload)
        return Order.model_validate(payload)
    except ValidationError as exc:
        errors = [
            {"field": _path(tuple(e["loc"])), "message": _message(e["msg"]), "type": e["type"]}
            for e in exc.errors(include_url=False)
        ]
        first = errors[0] if errors else {"field": None, "message": str(exc)}
        detail = "; ".join(f"{e['field'] or '<order>'}: {e['message']}" for e in errors)
        if context:
            detail = f"{context}: {detail}"
        raise InvalidOrder(detail, field=first["field"], errors=errors) from None
