"""Kept so tests written before ``tests/support`` existed still import; use
``tests.support.orgfiles`` in new tests."""

from tests.support.orgfiles import (
    audit_count,
    clean_env,
    demo_data,
    dutybot,
    entry,
    person,
    run_clean,
    snapshot,
    to_toml,
    write_yaml,
)

__all__ = [
    "audit_count",
    "clean_env",
    "demo_data",
    "dutybot",
    "entry",
    "person",
    "run_clean",
    "snapshot",
    "to_toml",
    "write_yaml",
]
