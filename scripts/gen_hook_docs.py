"""Regenerate docs/hooks.md from the hookspec docstrings:

python scripts/gen_hook_docs.py > docs/hooks.md
"""

from __future__ import annotations

import inspect

from orderkit import hookspecs

HEADER = """# Hook reference

Generated from `src/orderkit/hookspecs.py` by `scripts/gen_hook_docs.py`; the
docstrings there are the source, and `tests/test_hookspecs.py` fails when this
page drifts from them.
"""


def main() -> None:
    print(HEADER)
    print(inspect.getdoc(hookspecs).split("\n", 2)[2].strip().replace("``", "`") + "\n")
    for name, fn in vars(hookspecs).items():
        if not (inspect.isfunction(fn) and hasattr(fn, "orderkit_spec")):
            continue
        print(f"## `{name}`\n")
        print("```python")
        print(f"{name}{inspect.signature(fn)}".replace("'", ""))
        print("```\n")
        print(inspect.getdoc(fn).replace("``", "`") + "\n")


if __name__ == "__main__":
    main()
