"""Shared Hypothesis set-up for the fuzz tests: strategies and the example budget.

The normal suite runs a bounded number of examples per test (``DUTYBOT_FUZZ_EXAMPLES``,
default 40); a longer run is ``DUTYBOT_FUZZ_EXAMPLES=3000 pytest tests/security -k fuzz``
(see docs/decisions/security.md).
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("DUTYBOT_FUZZ_EXAMPLES", "40"))

# One client (and database) per test function serves every example: the properties checked
# ("no 500", "nothing stored from invalid input") hold across examples.
fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=False,
)
# Pure parsers are cheap: ten times the budget.
fuzz_pure = settings(fuzz, max_examples=EXAMPLES * 10)

# Text as people and attackers send it: any code point, NUL and lone surrogates included.
any_text = st.text(st.characters(codec=None), max_size=60)
# Text that can be UTF-8 encoded (no lone surrogates): what survives a real HTTP body.
wire_text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=60)

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | any_text
json_values: st.SearchStrategy[Any] = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=12,
)


def nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


header_values = st.binary(min_size=0, max_size=40).filter(
    lambda b: b"\r" not in b and b"\n" not in b
)
