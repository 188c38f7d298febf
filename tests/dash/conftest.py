from __future__ import annotations

import pytest

from bot.core.services import Services


@pytest.fixture
def demo(services: Services, demo_org: None) -> Services:
    """The demo district with the demo's sign-in picker on (``dutybot demo``)."""
    services.demo = True
    return services
