"""Rectification tests run under the kunming preset (its working-hour limits), on a working day."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.services import Services
from tests.support.chat import ChatHarness
from tests.support.dates import MONDAY_10
from tests.support.policy import use_policy


@pytest.fixture
async def kunming(harness: ChatHarness, services: Services, tmp_path: Path) -> ChatHarness:
    """The demo district under the kunming preset, on Monday 23 November 2026 at 10:00 (with a
    calendar file of the test's own)."""
    use_policy(services, "kunming", calendar_file=tmp_path / "calendar.toml")
    harness.clock.set(MONDAY_10)
    return harness


# Re-exported for tests written before tests/support existed (import from tests.support).
from tests.support.chat import button_starting, card_of  # noqa: E402
from tests.support.dates import at  # noqa: E402
from tests.support.rectification import issue  # noqa: E402

__all__ = ["MONDAY_10", "at", "button_starting", "card_of", "issue", "kunming", "use_policy"]
