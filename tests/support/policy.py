"""Switching the policy preset for one test."""

from __future__ import annotations

from pathlib import Path

from bot.config import ReviewOptions
from bot.core.services import Services
from bot.policy.runtime import TimeKeeping


def use_policy(
    services: Services,
    preset: str,
    *,
    calendar_file: Path | None = None,
    **review_options: object,
) -> None:
    """Switch to the policy ``preset`` before the first message of a test.

    ``calendar_file`` points the calendar at a file of the test's own (pass a path under
    ``tmp_path``: the session's home is shared, so a calendar edited by another test must not
    leak in). ``review_options`` are ``ReviewOptions`` fields (``DUTYBOT_REVIEW_*``); without
    them review keeps its defaults.
    """
    update: dict[str, object] = {"policy": preset}
    if calendar_file is not None:
        update["calendar_file"] = calendar_file
    services.settings = services.settings.model_copy(update=update)
    services.timekeeping = TimeKeeping.from_settings(services.settings)
    services.review = ReviewOptions(**review_options)  # type: ignore[arg-type]  # keyword settings
