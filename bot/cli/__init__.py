"""The ``dutybot`` command. Subcommands live in sibling modules and register on ``main``
(``bot.cli.base``); importing them here is what makes them part of the command."""

from __future__ import annotations

from bot.cli import (
    accounts_cmd,
    audit_cmd,
    config_cmd,
    db_cmd,
    doctor_cmd,
    feishu_cmd,
    org_cmd,
    outbox_cmd,
    rectification_cmd,
    report_cmd,
    run_cmd,
    time_cmd,
    wecom_cmd,
)
from bot.cli.base import main

SUBCOMMAND_MODULES = (
    accounts_cmd,
    audit_cmd,
    config_cmd,
    db_cmd,
    doctor_cmd,
    feishu_cmd,
    org_cmd,
    outbox_cmd,
    rectification_cmd,
    report_cmd,
    run_cmd,
    time_cmd,
    wecom_cmd,
)

__all__ = ["SUBCOMMAND_MODULES", "main"]
