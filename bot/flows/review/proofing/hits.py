"""What a proofing check reports before it becomes a pre-review finding."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class HitKind(StrEnum):
    NAME = "name"  # our own units, places and posts (the directory)
    WORDING = "wording"  # standard political wording (规范表述)
    TYPO = "typo"  # a confusable word: a suggestion, never blocking


@dataclass(frozen=True)
class Hit:
    """One place to correct: text[start:end] should read ``standard``."""

    kind: HitKind
    start: int
    end: int
    standard: str
    advice: str
    source: str = ""
    rule: str = ""


def non_overlapping(hits: list[Hit]) -> list[Hit]:
    """Earliest first, the longer of two hits starting at one place; overlaps dropped."""
    chosen: list[Hit] = []
    last_end = -1
    for hit in sorted(hits, key=lambda h: (h.start, -(h.end - h.start))):
        if hit.start >= last_end:
            chosen.append(hit)
            last_end = hit.end
    return chosen
