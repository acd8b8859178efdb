"""The code in docs/quickstart.md, docs/embedding.md and docs/plugins.md runs.

Each page's fenced blocks are taken in order, in a temporary directory:

- ``python``: executed, all blocks of a page in one namespace; with
  ``file=PATH`` the block is written to PATH instead (a module later blocks
  import, or a test module: ``tests/test_*.py`` files are run with pytest
  once the page is done);
- ``yaml``: a whole config, loaded with ``orderkit.config.load_config``
  against the installed plugins (``invalid``: must be refused; ``fragment``:
  only parsed); ``file=PATH`` writes it for later commands;
- ``json`` / ``toml``: parsed (``file=PATH`` writes the JSON);
- ``console``: each ``$ orderkit ...`` line runs through typer's CliRunner.
  The exit code must be 0, or the N of a trailing ``# exit N`` comment; each
  output line shown under a command must appear in its output (whitespace
  ignored, ``...`` skips). ``orderkit run`` without ``--once`` and
  ``orderkit sandbox`` are not run (they serve until stopped);
- ``bash``: commands that are not ``orderkit`` commands (installation) are skipped.

``no-run`` after the language skips a block (keep those rare). Platform and
courier calls go to the plugins' built-in sandboxes; the database is SQLite.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import structlog
import yaml
from typer.testing import CliRunner

from orderkit.builtin import core_host
from orderkit.cli.app import app
from orderkit.clock import SystemSleeper
from orderkit.config import load_config
from orderkit.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
DOCS = ("quickstart.md", "embedding.md", "plugins.md")
LANGUAGES = {"python", "yaml", "json", "toml", "console", "bash"}
FLAGS = {"no-run", "fragment", "invalid"}
FENCE = re.compile(r"^```([\w-]+)([^\n]*)\n(.*?)^```[ \t]*$", re.M | re.S)
EXIT = re.compile(r"#\s*exit\s+(\d+)")
#: Commands that serve until stopped.
LONG_RUNNING = ("sandbox",)


@dataclass
class Block:
    doc: str
    line: int
    lang: str
    body: str
    flags: set[str] = field(default_factory=set)
    file: str | None = None

    @property
    def where(self) -> str:
        return f"docs/{self.doc}:{self.line}"


@dataclass
class Command:
    argv: list[str]
    expected_exit: int
    output: list[str]
    text: str


def blocks(doc: str) -> list[Block]:
    text = (ROOT / "docs" / doc).read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        lang, info, body = match.groups()
        block = Block(doc, text.count("\n", 0, match.start()) + 1, lang, body)
        for word in info.split():
            if word.startswith("file="):
                block.file = word.removeprefix("file=")
            else:
                block.flags.add(word)
        found.append(block)
    return found


def commands(block: Block) -> Iterator[Command]:
    """``$ cmd`` lines (console) or every line (bash), with the output shown under each."""
    current: Command | None = None
    for raw in block.body.splitlines():
        if block.lang == "console" and not raw.startswith("$ "):
            if current is not None and raw.strip() and raw.strip() != "...":
                current.output.append(raw)
            continue
        line = raw.removeprefix("$ ").strip()
        if not line or line.startswith("#"):
            continue
        if current is not None:
            yield current
        code = EXIT.search(line)
        current = Command(shlex.split(line, comments=True), int(code[1]) if code else 0, [], line)
    if current is not None:
        yield current


def squash(text: str) -> str:
    # rich wraps long lines at the terminal width; compare without whitespace
    return re.sub(r"\s+", "", text)


class PageRunner:
    """Runs one page's blocks in order in ``workdir``."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.namespace: dict[str, Any] = {"__name__": "docs_snippets"}
        self.test_files: list[str] = []
        self.cli = CliRunner()
        host = core_host()
        self.channels, self.couriers = set(host.channels), set(host.couriers)

    def run(self, block: Block) -> None:
        if "no-run" in block.flags:
            return
        if block.file is not None:
            target = self.workdir / block.file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.body, encoding="utf-8")
        getattr(self, f"run_{block.lang}")(block)

    def run_python(self, block: Block) -> None:
        # padded, so that a traceback names the page's own line
        code = compile("\n" * block.line + block.body, f"docs/{block.doc}", "exec")
        if block.file is None:
            exec(code, self.namespace)
        elif re.fullmatch(r"(.*/)?test_\w+\.py", block.file):
            self.test_files.append(block.file)

    def run_yaml(self, block: Block) -> None:
        assert yaml.safe_load(block.body) is not None, f"{block.where}: empty YAML"
        if "fragment" in block.flags:
            return
        path = self.workdir / (block.file or f"_block_{block.line}.yaml")
        if block.file is None:
            path.write_text(block.body, encoding="utf-8")
        if "invalid" in block.flags:
            with pytest.raises(ConfigError):
                load_config(path, known_channels=self.channels, known_couriers=self.couriers)
            return
        load_config(path, known_channels=self.channels, known_couriers=self.couriers)

    def run_json(self, block: Block) -> None:
        json.loads(block.body)

    def run_toml(self, block: Block) -> None:
        tomllib.loads(block.body)

    def run_bash(self, block: Block) -> None:
        self.run_console(block)

    def run_console(self, block: Block) -> None:
        for command in commands(block):
            argv = command.argv
            if argv[0] != "orderkit" or argv[1] in LONG_RUNNING:
                continue  # installation, or a server
            if argv[1] == "run" and "--once" not in argv:
                continue
            logging = structlog.get_config()
            result = self.cli.invoke(app, argv[1:], env={"COLUMNS": "200"})
            # `orderkit run` points the logs at its stderr, which the runner closes
            structlog.configure(**logging)
            shown = f"{block.where}: `{command.text}` said:\n{result.output}"
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                raise AssertionError(shown) from result.exception
            assert result.exit_code in {0, command.expected_exit}, shown
            for line in command.output:
                assert squash(line) in squash(result.output), f"{shown}\nmissing: {line}"

    def run_pytest(self) -> None:
        if not self.test_files:
            return
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(self.workdir), *sys.path])}
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *self.test_files],
            cwd=self.workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr

    def close(self) -> None:
        for value in self.namespace.values():
            if isinstance(value, sa.Engine):
                value.dispose()


def test_every_block_is_known_and_the_pages_stay_short() -> None:
    for doc in DOCS:
        text = (ROOT / "docs" / doc).read_text(encoding="utf-8")
        assert len(text.splitlines()) < 300, f"docs/{doc} grew long"
        found = blocks(doc)
        assert found, f"docs/{doc} has no code"
        assert text.count("```") == 2 * len(found), f"docs/{doc}: a fence is not closed"
        for block in found:
            assert block.lang in LANGUAGES, f"{block.where}: unknown language {block.lang}"
            assert block.flags <= FLAGS, f"{block.where}: unknown flag {block.flags - FLAGS}"
        skipped = [b for b in found if "no-run" in b.flags]
        assert len(skipped) <= 1, f"docs/{doc}: too many no-run blocks"


@pytest.fixture()
def page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PageRunner]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(ROOT / "examples" / "legacy_erp"))
    # the sandboxes answer at once; the rate limiter need not wait for them
    monkeypatch.setattr(SystemSleeper, "sleep", lambda self, seconds: None)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # orderkit demo's workspace
    for name in ("ORDERKIT_CONFIG", "ORDERKIT_LOAD_PLUGINS", "ORDERKIT_DISABLE_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    before = set(sys.modules)
    runner = PageRunner(tmp_path)
    yield runner
    runner.close()
    for name in set(sys.modules) - before:  # modules the page wrote
        module = sys.modules[name]
        if str(tmp_path) in str(getattr(module, "__file__", "") or ""):
            del sys.modules[name]


@pytest.mark.parametrize("doc", DOCS)
def test_the_page_runs(doc: str, page: PageRunner) -> None:
    for block in blocks(doc):
        page.run(block)
    page.run_pytest()
