"""The demo's fictional district, loaded once into an empty database."""

from __future__ import annotations

from datetime import datetime
from importlib import resources

from bot.org.apply import ChangeSummary, apply_org
from bot.org.schema import parse, parse_text
from storage.models.org import Unit


def demo_org_text() -> str:
    return resources.files("bot").joinpath("data/demo_org.yaml").read_text("utf-8")


async def seed_demo(now: datetime) -> ChangeSummary | None:
    """Load the demo organisation unless the database already has one."""
    if await Unit.exists():
        return None
    return await apply_org(parse(parse_text(demo_org_text(), "yaml")), now)
