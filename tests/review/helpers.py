"""Kept so tests written before ``tests/support`` existed still import; use
``tests.support.review`` (and ``tests.support.policy``, ``tests.support.travel``) in new tests."""

from tests.support.policy import use_policy
from tests.support.review import GROUP, fill_form, review_card, submit
from tests.support.travel import deliver_all

__all__ = ["GROUP", "deliver_all", "fill_form", "review_card", "submit", "use_policy"]
