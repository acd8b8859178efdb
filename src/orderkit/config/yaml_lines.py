"""Load YAML and remember the line of every node, so each problem can name its line.

The document is composed once into a node tree: a walk over the tree records the
line of every path (a mapping entry at its key's line, a list item at the item's
line) and finds duplicate keys, which PyYAML would otherwise keep silently
(last one wins). The same tree is then constructed into plain Python data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from orderkit.errors import ConfigProblem

PathKey = tuple[str | int, ...]
"""A path into the document: mapping keys (as text) and list indexes."""

LineMap = Mapping[PathKey, int]

_MERGE_TAG = "tag:yaml.org,2002:merge"
_PLAIN_KEY = re.compile(r"^[^\s.\[\]\"']+$")


@dataclass(frozen=True)
class YamlDocument:
    """Parsed YAML: the data (None if it could not be parsed), lines and problems."""

    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)
    problems: list[ConfigProblem] = field(default_factory=list)


class _SelfReference(Exception):
    def __init__(self, path: str, line: int) -> None:
        super().__init__(path)
        self.path, self.line = path, line


def render_path(path: Sequence[str | int]) -> str:
    """Render a path the way ops read it: ``shops[1].app_secret``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f'["{part}"]'
    return out


def line_for(lines: LineMap | None, path: Sequence[str | int]) -> int | None:
    """Line of ``path``, or of its nearest parent that has one (None without lines)."""
    if not lines:
        return None
    key: PathKey = tuple(path)
    while True:
        if key in lines:
            return lines[key]
        if not key:
            return None
        key = key[:-1]


def load_yaml(text: str) -> YamlDocument:
    """Parse ``text``; syntax errors and duplicate keys become problems with lines."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(data=None)
        lines: dict[PathKey, int] = {(): node.start_mark.line + 1}
        problems: list[ConfigProblem] = []
        _walk(loader, node, (), lines, problems, set())
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        return YamlDocument(data=None, problems=[_syntax_problem(exc)])
    except _SelfReference as exc:
        problem = ConfigProblem(
            exc.path, "an alias (*name) refers to a node that contains it", exc.line
        )
        return YamlDocument(data=None, problems=[problem])
    except yaml.YAMLError as exc:  # unmarked: rare (e.g. a bad stream)
        return YamlDocument(data=None, problems=[ConfigProblem("", f"YAML error: {exc}")])
    finally:
        loader.dispose()
    return YamlDocument(data=data, lines=lines, problems=problems)


def _walk(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    path: PathKey,
    lines: dict[PathKey, int],
    problems: list[ConfigProblem],
    active: set[int],
) -> None:
    # `active` holds the nodes above this one: an alias to one of them (&a [*a])
    # would make the data infinitely deep.
    if id(node) in active:
        raise _SelfReference(render_path(path), node.start_mark.line + 1)
    active.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first_seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = _key_text(loader, key_node)
            line = key_node.start_mark.line + 1
            if key in first_seen:
                problems.append(
                    ConfigProblem(
                        render_path((*path, key)),
                        f"duplicate key {key!r} (first written on line {first_seen[key]})",
                        line,
                    )
                )
            else:
                first_seen[key] = line
                lines[(*path, key)] = line
            _walk(loader, value_node, (*path, key), lines, problems, active)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.setdefault((*path, index), item.start_mark.line + 1)
            _walk(loader, item, (*path, index), lines, problems, active)
    active.discard(id(node))


def _key_text(loader: yaml.SafeLoader, key_node: yaml.Node) -> str:
    # Keys are rendered as text in paths; `1:` or `yes:` keys are flagged later.
    if isinstance(key_node, yaml.ScalarNode):
        return str(loader.construct_object(key_node))
    return str(key_node.value)


def _syntax_problem(exc: yaml.MarkedYAMLError) -> ConfigProblem:
    mark = exc.problem_mark or exc.context_mark
    what = exc.problem or "cannot be read"
    if exc.context:
        what += f" ({exc.context})"
    if "'\\t'" in what:
        what += "; indent with spaces, not tabs"
    line = mark.line + 1 if mark is not None else None
    return ConfigProblem("", f"YAML syntax error: {what}", line)
