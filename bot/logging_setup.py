"""Log lines people can search: plain text for terminals, JSON lines for log collectors.

Every line our handler writes passes ``mask_personal``: mainland mobile numbers and resident
ID numbers (the personal data the registry and the review check handle) are masked, whoever
logged them (our code, a library, a traceback). Third-party SQL logging (tortoise, aiosqlite,
asyncpg) stays at WARNING even at DEBUG, because it prints every statement with its values,
the file-signing key included; ``DUTYBOT_LOG_SQL=1`` switches it on for debugging.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

# 18-digit resident ID (last character may be X) and 11-digit mobile numbers, not inside a
# longer run of digits or letters (ids, hashes and timestamps stay as they are).
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9A-Za-z])(1[3-9]\d)\d{4}(\d{4})(?![0-9A-Za-z])")
SQL_LOGGERS = ("tortoise", "aiosqlite", "asyncpg")


def mask_personal(text: str) -> str:
    """``text`` with ID numbers as 110101********123X and mobiles as 139****5678."""
    text = _ID_NUMBER.sub(r"\1********\2", text)
    return _MOBILE.sub(r"\1****\2", text)


class MaskingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_personal(super().format(record))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "msg": mask_personal(record.getMessage()),
        }
        if record.exc_info:
            entry["exc"] = mask_personal(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str = "INFO", fmt: str = "text", log_sql: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            MaskingFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # arq logs every job at INFO; outbox deliveries would drown everything else.
    logging.getLogger("arq").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    for name in SQL_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if log_sql else logging.WARNING)
