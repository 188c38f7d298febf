"""Organisation-file test helpers: the demo file as data, a TOML writer, DB snapshots, and
running the ``dutybot`` command line on a clean environment."""

from __future__ import annotations

import copy
import csv
import io
import os
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.org.export import export_org
from bot.org.seed import demo_org_text
from storage.models.machinery import AuditEntry
from tests.support.proc import ROOT, Completed, run_dutybot


def demo_data() -> dict[str, Any]:
    data = yaml.safe_load(demo_org_text())
    assert isinstance(data, dict)
    return copy.deepcopy(data)


def write_csv(path: Path, rows: list[list[Any]], encoding: str) -> Path:
    """A CSV file of ``rows`` in ``encoding`` (as a spreadsheet program would save it)."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | date):
        return str(value) if not isinstance(value, date) else value.isoformat()
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def to_toml(data: dict[str, Any]) -> str:
    """The organisation file's shape as TOML: one ``[[section]]`` table per entry."""
    out: list[str] = []
    for section, entries in data.items():
        for entry in entries:
            out.append(f"[[{section}]]")
            out.extend(f"{k} = {_toml_value(v)}" for k, v in entry.items())
            out.append("")
    return "\n".join(out)


def person(data: dict[str, Any], key: str) -> dict[str, Any]:
    return next(p for p in data["people"] if p["key"] == key)


def entry(data: dict[str, Any], section: str, key: str) -> dict[str, Any]:
    return next(e for e in data[section] if e.get("key") == key)


async def audit_count() -> int:
    return await AuditEntry.all().count()


async def snapshot() -> dict[str, Any]:
    """Everything an org load can change, including inactive rows."""
    return await export_org(include_inactive=True)


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment without any DUTYBOT_* a developer's shell may carry."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUTYBOT_")}
    return {**env, "PYTHONPATH": str(ROOT), "DUTYBOT_HOME": str(home), **extra}


async def run_clean(home: Path, *args: str, **settings: str) -> Completed:
    """``python -m bot ARGS`` in ``home`` with only the given DUTYBOT_* settings."""
    return await run_dutybot(
        *args,
        env={"DUTYBOT_HOME": str(home), **settings},
        cwd=home,
        inherit_settings=False,
    )


async def dutybot(db_url: str, home: Path, *args: str) -> Completed:
    """The real CLI against the test database."""
    return await run_clean(home, *args, DUTYBOT_DATABASE_URL=db_url)
