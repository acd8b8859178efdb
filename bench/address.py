"""Address cleaning: orderkit against cpca and jionlp, in one run.

    pip install -e '.[bench]'
    python bench/address.py                # print the table
    python bench/address.py --write-docs   # also update docs/performance.md

Everything is measured on ``tests/data/address_corpus.jsonl`` in the same
process (cold start in fresh subprocesses), runs interleaved so that a busy
machine slows every contender alike; each figure is the median of several
runs. Batch throughput counts CPU time of the process (the machine is
shared); single-call latency and cold start are wall time.

Accuracy: province, city and district all right; on the ambiguous lines a
contender is right when it does not commit (ours: confidence below
``min_confidence``; cpca/jionlp: no province or no district). City names
are compared as orderkit reports them (北京市 for municipalities, none for
省直辖县级 units); cpca's 市辖区 / 省直辖县级行政区划 placeholders are mapped
to that first, so no contender loses on naming conventions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "data" / "address_corpus.jsonl"
DOCS = REPO / "docs" / "performance.md"
HEADING = "## Address cleaning (issue 6)"
SAMPLE = "浙江杭州西湖区文三路478号华星时代广场A座1203 放门卫"

Triple = tuple[str | None, str | None, str | None]


def load_corpus() -> list[dict[str, Any]]:
    with CORPUS.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


# -- the contenders: batch function, single function, result -> (triple, committed)


def ours() -> tuple[Callable[[list[str]], list[Any]], Callable[[str], Any]]:
    from orderkit.address import clean, clean_many

    return clean_many, clean


def cpca_funcs() -> tuple[Callable[[list[str]], list[Any]], Callable[[str], Any]]:
    import cpca

    # cpca answers with a pandas DataFrame: that is what is timed; turning it
    # into rows for scoring happens outside the timing (see ``as_rows``).
    return cpca.transform, lambda text: cpca.transform([text])


def jionlp_funcs() -> tuple[Callable[[list[str]], list[Any]], Callable[[str], Any]]:
    import jionlp

    def one(text: str) -> Any:
        return jionlp.parse_location(text, change2new=True)

    return (lambda texts: [one(t) for t in texts]), one


def as_rows(out: Any) -> list[Any]:
    """A contender's batch answer as one item per address."""
    return list(out.to_dict("records")) if hasattr(out, "to_dict") else list(out)


def read_ours(result: Any, min_confidence: float = 0.8) -> tuple[Triple, bool]:
    triple = (result.province, result.city, result.district)
    return triple, result.confidence >= min_confidence


def read_cpca(row: dict[str, Any]) -> tuple[Triple, bool]:
    province, city, district = (_text(row.get(k)) for k in ("省", "市", "区"))
    if city == "市辖区" or (city == "县" and province in ("北京市", "天津市", "上海市", "重庆市")):
        city = province
    if city and city.endswith("直辖县级行政区划"):
        city = None
    return (province, city, district), bool(province and district)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None  # pandas gives NaN for none


def read_jionlp(row: dict[str, Any]) -> tuple[Triple, bool]:
    triple = (row.get("province"), row.get("city"), row.get("county"))
    return triple, bool(triple[0] and triple[2])


def accuracy(
    lines: list[dict[str, Any]], outputs: list[tuple[Triple, bool]]
) -> tuple[float, int, int]:
    """(share right, ambiguous lines committed to, ambiguous lines)."""
    right = committed_ambiguous = ambiguous = 0
    for line, (triple, committed) in zip(lines, outputs, strict=True):
        if line.get("unsure"):
            ambiguous += 1
            committed_ambiguous += committed
            right += not committed
        else:
            right += triple == (line["province"], line["city"], line["district"])
    return right / len(lines), committed_ambiguous, ambiguous


# -- timing -------------------------------------------------------------------


def single_latency(one: Callable[[str], Any], texts: Sequence[str]) -> float:
    """Median seconds of one call, one address per call."""
    times = []
    for text in texts:
        start = time.perf_counter()
        one(text)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


COLD = {
    "orderkit": "import orderkit.address as m; m.clean({s!r})",
    "cpca": "import cpca; cpca.transform([{s!r}])",
    "jionlp": "import jionlp; jionlp.parse_location({s!r}, change2new=True)",
}


def cold_start(name: str, runs: int) -> float:
    """Median seconds for import + first call, timed inside a fresh interpreter."""
    code = (
        "import time, sys, warnings; warnings.simplefilter('ignore'); t = time.perf_counter(); "
        + COLD[name].format(s=SAMPLE)
        + "; sys.stdout.write(repr(time.perf_counter() - t))"
    )
    times = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
        ).stdout
        times.append(float(out.strip().splitlines()[-1]))
    return statistics.median(times)


@dataclass
class Row:
    name: str
    accuracy: float
    committed_ambiguous: int
    ambiguous: int
    batch_per_s: float
    single_us: float
    cold_s: float | None


def run(runs: int, jionlp_runs: int, cold_runs: int) -> tuple[list[Row], dict[str, float]]:
    lines = load_corpus()
    texts = [line["text"] for line in lines]
    contenders: dict[str, tuple[Any, Any, Callable[[Any], tuple[Triple, bool]]]] = {}
    for name, make, reader in (
        ("orderkit", ours, read_ours),
        ("cpca", cpca_funcs, read_cpca),
        ("jionlp", jionlp_funcs, read_jionlp),
    ):
        try:
            batch, one = make()
        except ImportError as exc:
            print(f"skipping {name}: {exc} (pip install -e '.[bench]')", file=sys.stderr)
            continue
        batch(texts[:20])  # warm up: load data, build automata
        contenders[name] = (batch, one, reader)

    first_pass = first_pass_rate(texts, runs)
    results: dict[str, list[Any]] = {}
    batch_times: dict[str, list[float]] = {name: [] for name in contenders}
    fast = [name for name in contenders if name != "jionlp"]
    order = [fast if i % 2 == 0 else fast[::-1] for i in range(runs)]
    # Interleaved, in alternating order, so that a busy machine slows everyone
    # alike; jionlp (~350 addresses/s, a large working set that evicts the
    # caches) runs on its own afterwards.
    order += [["jionlp"]] * (jionlp_runs if "jionlp" in contenders else 0)
    for names in order:
        for name in names:
            batch = contenders[name][0]
            # CPU time of this process: the machine is shared, and wall time
            # would also count whatever else runs on it.
            start = time.process_time()
            out = batch(texts)
            batch_times[name].append(time.process_time() - start)
            results.setdefault(name, as_rows(out))

    sample = texts[:: max(1, len(texts) // 300)]
    rows = []
    for name, (_batch, one, reader) in contenders.items():
        acc, committed, ambiguous = accuracy(lines, [reader(r) for r in results[name]])
        per_s = len(texts) / statistics.median(batch_times[name])
        single = statistics.median(
            single_latency(one, sample[: 60 if name == "jionlp" else None]) for _ in range(3)
        )
        cold_name = name if name in COLD else None
        cold = cold_start(cold_name, cold_runs) if cold_name else None
        rows.append(Row(name, acc, committed, ambiguous, per_s, single * 1e6, cold))
    by_name = {r.name: r for r in rows}
    ratios: dict[str, float] = {}
    if {"orderkit", "cpca", "jionlp"} <= set(by_name):
        ok, cp, jn = by_name["orderkit"], by_name["cpca"], by_name["jionlp"]
        ratios = {
            "accuracy: orderkit - jionlp (target >= 0)": ok.accuracy - jn.accuracy,
            "batch: orderkit / cpca (target >= 1)": ok.batch_per_s / cp.batch_per_s,
            "batch, orderkit's first pass (empty memo) / cpca": first_pass / cp.batch_per_s,
            "single call: cpca / orderkit (target >= 10)": cp.single_us / ok.single_us,
            "cold start: cpca / orderkit (target >= 1)": (cp.cold_s or 0) / (ok.cold_s or 1),
        }
    return rows, ratios


def first_pass_rate(texts: list[str], runs: int) -> float:
    """Addresses/s of one pass with a fresh reader: its memo of
    (state, name) steps and per-state summaries starts empty, as in a new
    process, instead of having seen the corpus in earlier runs."""
    from orderkit.address import clean_many
    from orderkit.address.cleaner import engine

    times = []
    for _ in range(runs):
        engine.cache_clear()
        engine()  # the data itself is loaded once; only the memo starts over
        start = time.process_time()
        clean_many(texts)
        times.append(time.process_time() - start)
    engine.cache_clear()
    return len(texts) / statistics.median(times)


def matchers(runs: int) -> dict[str, float]:
    """Names found per second over the corpus texts: every name in each whole
    text, by the pure-Python index and by pyahocorasick (C)."""
    from orderkit.address.gazetteer import gazetteer
    from orderkit.address.matcher import NameIndex

    texts = [line["text"] for line in load_corpus()]
    keys = gazetteer().keys
    indexes: dict[str, Any] = {"NameIndex (pure Python, default)": NameIndex(keys)}
    try:
        from orderkit.address.matcher import AhoCorasickIndex

        indexes["pyahocorasick automaton"] = AhoCorasickIndex(keys)
    except ImportError:
        pass
    times: dict[str, list[float]] = {name: [] for name in indexes}
    for _ in range(runs):
        for name, index in indexes.items():
            start = time.process_time()
            for text in texts:
                index.find_all(text)
            times[name].append(time.process_time() - start)
    return {name: len(texts) / statistics.median(t) for name, t in times.items()}


def table(rows: list[Row], ratios: dict[str, float], corpus_size: int) -> str:
    out = [
        f"Corpus: `tests/data/address_corpus.jsonl`, {corpus_size} addresses.",
        "",
        "| contender | all three right | ambiguous lines committed to | batch (addresses/s) "
        "| single call (median µs) | cold start: import + first call (median s) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        cold = f"{r.cold_s:.3f}" if r.cold_s is not None else "—"
        out.append(
            f"| {r.name} | {r.accuracy:.2%} | {r.committed_ambiguous} / {r.ambiguous} "
            f"| {r.batch_per_s:,.0f} | {r.single_us:,.1f} | {cold} |"
        )
    if ratios:
        out += ["", "| ratio (same run) | value |", "|---|---|"]
        for label, value in ratios.items():
            shown = f"{value:+.2%}" if label.startswith("accuracy") else f"{value:.2f}×"
            out.append(f"| {label} | {shown} |")
    return "\n".join(out)


def machine_note() -> str:
    from importlib.metadata import PackageNotFoundError, version

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    versions = []
    for name in ("cpca", "jionlp", "pandas", "pyahocorasick"):
        try:
            versions.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            continue
    return (
        f"Machine: {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}, {', '.join(versions)}; load average "
        f"{load:.2f} when the run started (other work was running: compare the "
        "ratios, not the absolute numbers)."
    )


def write_docs(section: str) -> None:
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Performance\n"
    start = text.find(HEADING)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:  # replace only our section: up to the next "## " heading
        nxt = text.find("\n## ", start + len(HEADING))
        text = text[:start] + section.rstrip("\n") + ("\n" + text[nxt:] if nxt >= 0 else "\n")
    DOCS.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="batch runs per contender")
    parser.add_argument("--jionlp-runs", type=int, default=3)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--write-docs", action="store_true", help=f"update {DOCS.name}")
    args = parser.parse_args()
    note = machine_note()
    rows, ratios = run(args.runs, args.jionlp_runs, args.cold_runs)
    body = table(rows, ratios, len(load_corpus()))
    found = matchers(args.runs)
    body += "\n\n| name finding only (whole text) | texts/s |\n|---|---|\n" + "\n".join(
        f"| {name} | {per_s:,.0f} |" for name, per_s in found.items()
    )
    print(body)
    print()
    print(note)
    if args.write_docs:
        section = "\n".join(
            [
                HEADING,
                "",
                "Command: `python bench/address.py --write-docs`"
                " (after `pip install -e '.[bench]'`).",
                "",
                body,
                "",
                note,
                "",
                NOTES,
            ]
        )
        write_docs(section + "\n")


NOTES = """\
Notes:

- Accuracy is on our own generated corpus, labelled from the division
  table and committed before the parser was tuned against it: 100% there
  says every category is handled, not that real-world text scores the same.
  cpca's misses are mostly its 2016 table (new and renamed districts, legacy
  names returned verbatim) and its guesses on ambiguous names; jionlp's are
  names newer than its 2021-22 table and a few confident ambiguous answers.
- Batch throughput is the median of several passes over the corpus. The
  reader memoises, exactly, each (state, name) step and each final state's
  summary, so repeated divisions cost little: that is the steady state of a
  long-running ERP process. The "first pass (empty memo)" line is one pass
  of a fresh reader over 1,285 mostly distinct counties, the worst case; it
  is about half of cpca's rate and is reported so the headline is not read
  as more than it is.
- Single call: ``clean(text)`` vs ``cpca.transform([text])`` (cpca builds a
  pandas DataFrame per call). Cold start: a fresh interpreter imports the
  package and cleans one address; orderkit loads its tables on that call.
- Name finding: walking whole texts, pyahocorasick (C) is within about 10%
  of the pure-Python index (the table above). The reader needs only the
  names up to the county, which the index finds without walking the rest,
  and with the automaton plugged into the same cleaner (measured while
  choosing) the whole was no faster; so orderkit takes no C dependency and
  pyahocorasick is only a bench extra.
- The first-pass figure varies most with machine load (one pass, no
  median over warm runs)."""


if __name__ == "__main__":
    main()
