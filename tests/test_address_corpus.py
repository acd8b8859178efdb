"""The labelled corpus (tests/data/address_corpus.jsonl, committed before the
parser was tuned): >= 98% all three levels right, and no confident guess on
the ambiguous lines."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from orderkit.address import AddressResult, clean, clean_many

CORPUS = Path(__file__).parent / "data" / "address_corpus.jsonl"
CATEGORIES = {
    "standard",
    "abbreviated",
    "no_province",
    "district_only",
    "trailing_text",
    "name_phone",
    "full_width",
    "duplicated_city",
    "direct_county",
    "municipality",
    "legacy",
    "ambiguous",
}
MIN_CONFIDENCE = 0.8


def load() -> list[dict[str, Any]]:
    with CORPUS.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


LINES = load()


@pytest.fixture(scope="module")
def results() -> list[AddressResult]:
    return clean_many(line["text"] for line in LINES)


def right(line: dict[str, Any], result: AddressResult) -> bool:
    if line.get("unsure"):
        return result.confidence < MIN_CONFIDENCE
    return (result.province, result.city, result.district) == (
        line["province"],
        line["city"],
        line["district"],
    )


def test_the_corpus_is_big_and_covers_every_category() -> None:
    counts = Counter(line["category"] for line in LINES)
    assert len(LINES) >= 1000
    assert set(counts) == CATEGORIES
    assert min(counts.values()) >= 80


def test_corpus_score_is_at_least_98_percent(results: list[AddressResult]) -> None:
    score = sum(right(line, r) for line, r in zip(LINES, results, strict=True)) / len(LINES)
    assert score >= 0.98, f"{score:.2%}"


def test_no_confident_guess_on_ambiguous_text(results: list[AddressResult]) -> None:
    wrong = [
        (line["text"], r.district, r.confidence)
        for line, r in zip(LINES, results, strict=True)
        if line.get("unsure") and r.confidence >= MIN_CONFIDENCE
    ]
    assert wrong == []


@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_each_category_scores(category: str, results: list[AddressResult]) -> None:
    pairs = [(ln, r) for ln, r in zip(LINES, results, strict=True) if ln["category"] == category]
    score = sum(right(ln, r) for ln, r in pairs) / len(pairs)
    assert score >= 0.95, f"{category}: {score:.2%}"


def test_codes_agree_with_the_labels(results: list[AddressResult]) -> None:
    for line, r in zip(LINES, results, strict=True):
        if line.get("district_code") and r.district == line["district"]:
            assert r.district_code == line["district_code"]
            assert r.province_code == line["province_code"]


def test_labelled_extras_come_out(results: list[AddressResult]) -> None:
    for line, r in zip(LINES, results, strict=True):
        if "remark" in line:
            assert r.remark is not None and line["remark"] in r.remark, line["text"]
        if "phone" in line:
            assert r.phones == [line["phone"]], line["text"]
            if line["extension"]:
                assert r.phone_extensions == {line["phone"]: line["extension"]}
            assert r.names == [line["name"]], line["text"]
    legacy = [r for ln, r in zip(LINES, results, strict=True) if ln["category"] == "legacy"]
    # Not all: 赣县 was a county's name and is now 赣县区's short name, so
    # reading it as today's short name is no legacy reading.
    assert sum("legacy_name" in r.flags for r in legacy) >= 0.9 * len(legacy)


def test_clean_many_equals_clean_one_by_one(results: list[AddressResult]) -> None:
    for line, r in list(zip(LINES, results, strict=True))[::25]:
        assert clean(line["text"]) == r
