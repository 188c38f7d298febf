"""A small Aho–Corasick automaton: every occurrence of many literal words in one pass.

Written here rather than taken from PyPI: the maintained packages (pyahocorasick, ahocorasick-rs)
are compiled extensions, and the pure-Python ones are small and unmaintained; this is ~60 lines
and checks a 10,000-character post against 10,000 words well inside the 50 ms budget
(bench/proofread.py, docs/performance.md).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class _Node:
    goto: dict[str, int] = field(default_factory=dict)
    fail: int = 0
    # (length, value) of every word ending here, its own and those reached through fail links.
    out: list[tuple[int, object]] = field(default_factory=list)


class Matcher(Generic[T]):
    """Built once from (word, value) pairs; ``find`` yields (start, end, value) for each hit."""

    def __init__(self, words: Iterable[tuple[str, T]]) -> None:
        nodes = [_Node()]
        for word, value in words:
            if not word:
                continue
            at = 0
            for char in word:
                nxt = nodes[at].goto.get(char)
                if nxt is None:
                    nxt = len(nodes)
                    nodes[at].goto[char] = nxt
                    nodes.append(_Node())
                at = nxt
            nodes[at].out.append((len(word), value))
        # Breadth first, so a node's fail target is finished before the node.
        queue: deque[int] = deque(nodes[0].goto.values())
        while queue:
            at = queue.popleft()
            for char, child in nodes[at].goto.items():
                queue.append(child)
                fail = nodes[at].fail
                while fail and char not in nodes[fail].goto:
                    fail = nodes[fail].fail
                target = nodes[fail].goto.get(char, 0)
                nodes[child].fail = target if target != child else 0
                nodes[child].out.extend(nodes[nodes[child].fail].out)
        self._goto = [n.goto for n in nodes]
        self._fail = [n.fail for n in nodes]
        self._out = [n.out for n in nodes]
        self.size = len(nodes)

    def find(self, text: str) -> Iterator[tuple[int, int, T]]:
        goto, fail, out = self._goto, self._fail, self._out
        at = 0
        for index, char in enumerate(text):
            while at and char not in goto[at]:
                at = fail[at]
            at = goto[at].get(char, 0)
            if out[at]:
                end = index + 1
                for length, value in out[at]:
                    yield end - length, end, value  # type: ignore[misc]  # stored as T
