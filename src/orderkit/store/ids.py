"""Deterministic ids: the same order or event always gets the same id, on any
database and after any crash and replay, so replays can never duplicate."""

from __future__ import annotations

import hashlib


def _digest_id(prefix: str, *parts: str) -> str:
    # 96 bits of blake2b as hex: as unique as needed, cheap to make (ids are
    # made for every ingested order and event)
    return prefix + hashlib.blake2b("\x1f".join(parts).encode(), digest_size=12).hexdigest()


def order_id(channel: str, shop_id: str, external_id: str) -> str:
    """``o`` + 24 hex characters derived from the binding (channel, shop, external id)."""
    return _digest_id("o", channel, shop_id, external_id)


def event_id(topic: str, *parts: str) -> str:
    """A stable outbox event id: consumers de-duplicate on it."""
    return _digest_id("e", topic, *parts)


def content_hash(data: bytes) -> str:
    """32 hex characters; equal payloads hash equal."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()
