"""Reading what strangers send: JSON that cannot blow the stack, text the database can hold.

Anything that arrives over HTTP is untrusted until it is authenticated, and even an
authenticated platform relays what a person typed. Two things in such input break us in ways
the sender should never be able to cause:

- **Nesting.** ``json.loads`` recurses once per ``[``/``{``: a body of 100 000 ``[`` raises
  ``RecursionError`` (not ``ValueError``), before any signature is checked. ``loads`` turns it
  into ``BadJson`` and also refuses nesting deeper than ``MAX_DEPTH`` (no real payload comes
  close), so the code that walks the value later cannot recurse out either.
- **Characters PostgreSQL cannot store.** ``text`` and ``jsonb`` refuse U+0000 and JSON text
  refuses ``\\ud800``-style lone surrogates (Python strings may hold them, UTF-8 may not).
  ``clean`` drops NUL and replaces a lone surrogate with U+FFFD, so what a person sent is
  stored as nearly as possible instead of failing the write (and every row written with it).
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64

# A NUL, or a surrogate code point (in a Python str they are always lone: a proper pair is
# one astral character).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


# Row ids and sequence numbers are 64-bit in the database.
MAX_ROW_ID = 2**63 - 1


def row_id(text: str) -> int | None:
    """The number a person typed as an id ("12", "１２"), or None when it is not made of
    decimal digits ("²" passes ``isdigit`` but ``int`` refuses it) or no row can have it
    (a number beyond 64 bits makes the database driver raise instead of finding nothing)."""
    text = text.strip()
    if not text.isdecimal() or len(text) > 19:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ROW_ID else None


class BadJson(ValueError):
    """Not JSON we accept; ``reason`` is Chinese and safe to show the sender."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def clean_text(text: str) -> str:
    """``text`` without NUL and with lone surrogates replaced by U+FFFD."""
    if not _UNSTORABLE.search(text):
        return text
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


def has_unstorable(text: str) -> bool:
    return _UNSTORABLE.search(text) is not None


def clean(value: Any) -> Any:
    """A copy of a JSON value with every string (keys too) passed through ``clean_text``.

    Iterative, so a deep value cannot exhaust the stack here either.
    """
    if isinstance(value, str):
        return clean_text(value)
    if not isinstance(value, dict | list):
        return value
    root: list[Any] = [value]
    # (source container, destination container)
    stack: list[tuple[Any, Any]] = []

    def copy_of(item: Any) -> Any:
        if isinstance(item, str):
            return clean_text(item)
        if isinstance(item, dict):
            new: dict[str, Any] = {}
            stack.append((item, new))
            return new
        if isinstance(item, list):
            new_list: list[Any] = []
            stack.append((item, new_list))
            return new_list
        return item

    root[0] = copy_of(value)
    while stack:
        source, dest = stack.pop()
        if isinstance(source, dict):
            for key, item in source.items():
                dest[clean_text(key) if isinstance(key, str) else key] = copy_of(item)
        else:
            dest.extend(copy_of(item) for item in source)
    return root[0]


def depth(value: Any) -> int:
    """How deeply containers nest in ``value`` (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            level += 1
            deepest = max(deepest, level)
            stack.extend((child, level) for child in item if isinstance(child, dict | list))
    return deepest


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON (RFC 8259); Python accepts them, but PostgreSQL's jsonb
    # cannot store them and NaN != NaN breaks every comparison downstream.
    raise ValueError(f"{name} is not JSON")


def loads(raw: bytes | str, what: str = "请求内容") -> Any:
    """Parse JSON from an untrusted sender, or raise ``BadJson`` with a Chinese reason."""
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise BadJson(f"{what}嵌套层数过多") from None
    except (ValueError, UnicodeDecodeError):
        raise BadJson(f"{what}不是有效的 JSON") from None
    if depth(value) > MAX_DEPTH:
        raise BadJson(f"{what}嵌套层数过多（最多 {MAX_DEPTH} 层）")
    return value
