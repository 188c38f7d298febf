"""纠错: proofreading a post before review, as the supervisors' circulars require.

Three kinds of finding, each with the standard form beside it and its source:

- ``names``: our own units, places and posts from the directory (organisation file);
- ``rules`` with ``wording.yaml``: standard political wording (规范表述), extendable per office
  (``DUTYBOT_REVIEW_WORDING_FILE``);
- ``rules`` with ``typos.yaml``: a curated confusion set, suggestions that never block.

``matcher`` is the Aho–Corasick automaton all of them use. Pure, no I/O: the review flow's
``check`` module turns hits into pre-review findings, ``start`` builds the directory's lexicon.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.flows.review.proofing.hits import Hit, HitKind, non_overlapping
from bot.flows.review.proofing.names import Lexicon
from bot.flows.review.proofing.rules import RuleSet, rule_set

__all__ = ["Hit", "HitKind", "Lexicon", "Proofreader", "RuleSet", "rule_set"]


@dataclass(frozen=True)
class Proofreader:
    rules: RuleSet
    lexicon: Lexicon | None = None

    def check(self, text: str) -> list[Hit]:
        """Every place to correct, in reading order, one hit per place (the longer of two
        that start together)."""
        hits = self.lexicon.check(text) if self.lexicon is not None else []
        hits += self.rules.check(text)
        return non_overlapping(hits)
