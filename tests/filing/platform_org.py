"""Kept so tests written before ``tests/support`` existed still import; use
``tests.support.orgs.PLATFORM_ORG`` / ``PLATFORM_OPEN_ANSWERS`` in new tests."""

from tests.support.orgs import PLATFORM_OPEN_ANSWERS as OPEN_ANSWERS
from tests.support.orgs import PLATFORM_ORG as ORG

__all__ = ["OPEN_ANSWERS", "ORG"]
