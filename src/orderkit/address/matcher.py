"""Find division names in a text: thousands of names, one left-to-right pass.

``NameIndex`` (pure Python) answers "which names start here?" with one dict
probe per position: a two-character head says which key lengths can start
there. The reader (``resolve.Reader``) walks positions itself and stops as
soon as the address has its county, so the detail after it is never
scanned; ``find_all`` is the same walk over the whole text.

``AhoCorasickIndex`` wraps pyahocorasick (C) behind the same ``find_all``.
``bench/address.py`` times both over the corpus: on address-sized texts the
automaton is not faster (its root has ~1,500 children, searched per
character, and it must walk the whole text before the first name is used),
so orderkit does not depend on it; it stays for that measurement.
"""

from __future__ import annotations

from collections.abc import Iterable

#: (start, end, key)
Hit = tuple[int, int, str]


class NameIndex:
    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = frozenset(keys)
        if any(len(k) < 2 for k in self.keys):
            raise ValueError("keys must be at least two characters long")
        lengths: dict[str, set[int]] = {}
        for key in self.keys:
            lengths.setdefault(key[:2], set()).add(len(key))
        #: head (first two characters) -> key lengths starting with it, longest first
        self.heads = {head: tuple(sorted(sizes, reverse=True)) for head, sizes in lengths.items()}

    def names_at(self, text: str, start: int) -> list[tuple[int, str]]:
        """``(end, key)`` of the names starting at ``start``, longest first."""
        found: list[tuple[int, str]] = []
        for size in self.heads.get(text[start : start + 2], ()):
            # A two-character size only exists for a head that is a key.
            piece = text[start : start + size]
            if size == 2 or piece in self.keys:
                found.append((start + size, piece))
        return found

    def find_all(self, text: str) -> list[Hit]:
        """Every name in ``text``, by start, longest first at one start."""
        return [
            (start, end, key)
            for start in range(len(text) - 1)
            for end, key in self.names_at(text, start)
        ]


class AhoCorasickIndex:
    def __init__(self, keys: Iterable[str]) -> None:
        import ahocorasick  # only for the benchmark's comparison

        automaton = ahocorasick.Automaton()
        for key in keys:
            automaton.add_word(key, key)
        automaton.make_automaton()
        self._automaton = automaton

    def find_all(self, text: str) -> list[Hit]:
        hits = [(end + 1 - len(key), end + 1, key) for end, key in self._automaton.iter(text)]
        hits.sort(key=lambda hit: (hit[0], hit[0] - hit[1]))
        return hits
