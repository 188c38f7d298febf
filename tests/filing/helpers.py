"""Kept so tests written before ``tests/support`` existed still import; use
``tests.support.filing`` (and ``tests.support.chat.card_of``) in new tests."""

from tests.support.chat import card_of
from tests.support.filing import OPEN_ANSWERS, answer_all, approve_both, open_filing, pick

__all__ = ["OPEN_ANSWERS", "answer_all", "approve_both", "card_of", "open_filing", "pick"]
