"""Shared pieces of the Douyin plugin's tests."""

from __future__ import annotations

pytest_plugins = ["orderkit.testing"]
