"""Inbound: accepting deliveries (dedupe on the answer path), prefetching what people send,
routing each event to its handler in one transaction, and card taps.

Adapters and the console call ``accept`` / ``handle`` / ``process`` / ``process_later``;
nothing here knows a platform's wire format.
"""

from __future__ import annotations

from bot.dispatch.process import (
    Outcome,
    accept,
    accept_and_process_later,
    handle,
    is_transient,
    process,
    process_later,
)

__all__ = [
    "Outcome",
    "accept",
    "accept_and_process_later",
    "handle",
    "is_transient",
    "process",
    "process_later",
]
