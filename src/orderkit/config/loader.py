"""Read a config file (or a mapping), validate it fully, build the typed ``Config``.

``validate_config`` returns problems and never raises for what the file says;
``load_config`` raises one ``ConfigError`` carrying every problem.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from orderkit.config.model import Config, SecretRef
from orderkit.config.semantic import plain_data, secret_leaves
from orderkit.config.validate import check_data, sort_problems
from orderkit.config.yaml_lines import PathKey, line_for, load_yaml, render_path
from orderkit.errors import ConfigError, ConfigProblem

ConfigSource = str | os.PathLike[str] | Mapping[str, Any]
"""A path to a YAML file, or already-parsed data (which has no line numbers)."""


@dataclass
class _Read:
    name: str | None
    data: Any = None
    lines: dict[PathKey, int] | None = None
    problems: list[ConfigProblem] = field(default_factory=list)
    parsed: bool = True


def validate_config(
    source: ConfigSource,
    *,
    known_channels: Collection[str] | None = None,
    known_couriers: Collection[str] | None = None,
) -> list[ConfigProblem]:
    """Every problem in ``source``, sorted by line; empty when the config is valid.

    ``known_channels`` / ``known_couriers``: codes of the installed plugins; when
    given, shops and couriers naming other codes are problems.
    """
    return _check(_read(source), known_channels, known_couriers)


def validate_config_text(
    text: str,
    *,
    known_channels: Collection[str] | None = None,
    known_couriers: Collection[str] | None = None,
) -> list[ConfigProblem]:
    """Like ``validate_config`` for YAML held in a string (e.g. ``STARTER_CONFIG``)."""
    return _check(_parse(text, "<string>"), known_channels, known_couriers)


def load_config(
    source: ConfigSource,
    *,
    known_channels: Collection[str] | None = None,
    known_couriers: Collection[str] | None = None,
) -> Config:
    """The validated, typed config; raises ``ConfigError`` listing every problem."""
    return _build(_read(source), known_channels, known_couriers)


def load_config_text(
    text: str,
    *,
    known_channels: Collection[str] | None = None,
    known_couriers: Collection[str] | None = None,
) -> Config:
    """Like ``load_config`` for YAML held in a string."""
    return _build(_parse(text, "<string>"), known_channels, known_couriers)


def _read(source: ConfigSource) -> _Read:
    if isinstance(source, Mapping):
        return _Read(name=None, data=source)
    path = Path(source)
    try:
        # utf-8-sig: Windows editors often save a BOM in front of the file.
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return _failed(str(path), f"config file not found: {path}")
    except IsADirectoryError:
        return _failed(str(path), f"{path} is a directory, not a config file")
    except UnicodeDecodeError as exc:
        return _failed(str(path), f"not UTF-8 text (byte {exc.start}); save the file as UTF-8")
    except OSError as exc:
        return _failed(str(path), f"cannot read {path}: {exc.strerror or exc}")
    return _parse(text, str(path))


def _parse(text: str, name: str) -> _Read:
    document = load_yaml(text)
    parsed = document.data is not None or not document.problems
    return _Read(name, document.data, document.lines, list(document.problems), parsed)


def _failed(name: str, message: str) -> _Read:
    return _Read(name, problems=[ConfigProblem("", message)], parsed=False)


def _check(
    read: _Read,
    known_channels: Collection[str] | None,
    known_couriers: Collection[str] | None,
) -> list[ConfigProblem]:
    if not read.parsed:
        return read.problems
    found = check_data(
        read.data, read.lines, known_channels=known_channels, known_couriers=known_couriers
    )
    return sort_problems([*read.problems, *found])


def _build(
    read: _Read,
    known_channels: Collection[str] | None,
    known_couriers: Collection[str] | None,
) -> Config:
    problems = [p for p in _check(read, known_channels, known_couriers) if p.severity == "error"]
    if problems:
        raise ConfigError(problems, source=read.name)
    data, _ = plain_data(read.data, read.lines)
    _attach_secret_refs(data)
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        # The schema should have caught this: model and schema disagree. Still
        # report it like any other problem rather than as a pydantic traceback.
        raise ConfigError(_from_pydantic(exc, read), source=read.name) from exc


def _attach_secret_refs(data: Any) -> None:
    # Every secret becomes a SecretRef that knows its path, so resolve() errors
    # say where the reference was written (also inside free-form settings).
    for path, value, _owner in secret_leaves(data):
        if isinstance(value, str):
            parent: Any = data
            for part in path[:-1]:
                parent = parent[part]
            parent[path[-1]] = SecretRef(value, render_path(path))


def _from_pydantic(exc: ValidationError, read: _Read) -> list[ConfigProblem]:
    problems = []
    for error in exc.errors():
        path: PathKey = tuple(p for p in error["loc"] if isinstance(p, str | int))
        problems.append(ConfigProblem(render_path(path), error["msg"], line_for(read.lines, path)))
    return sort_problems(problems)
