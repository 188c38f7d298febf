"""Intelligent-robot tests: the fake long-connection server and the bot with the robot on
(the fixtures live in tests/support/wecom_robot.py and tests/support/wecom.py)."""

from tests.support.wecom import aes_key, fake_wecom  # noqa: F401  (fixtures by name)
from tests.support.wecom_robot import fake_robot, robot  # noqa: F401
