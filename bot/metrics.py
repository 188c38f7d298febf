"""A tiny Prometheus text registry: counters by label, and gauges computed at scrape time."""

from __future__ import annotations

import threading
from collections import defaultdict


class Counter:
    def __init__(self, name: str, help_text: str, label: str) -> None:
        self.name = name
        self.help_text = help_text
        self.label = label
        self._values: dict[str, float] = defaultdict(float)
        self._lock = threading.Lock()

    def inc(self, label_value: str, amount: float = 1.0) -> None:
        with self._lock:
            self._values[label_value] += amount

    def value(self, label_value: str) -> float:
        return self._values.get(label_value, 0.0)

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help_text}", f"# TYPE {self.name} counter"]
        for key, val in sorted(self._values.items()):
            lines.append(f'{self.name}{{{self.label}="{_escape(key)}"}} {val:g}')
        return lines


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def gauge_lines(name: str, help_text: str, values: dict[str, float], label: str) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    for key, val in sorted(values.items()):
        lines.append(f'{name}{{{label}="{_escape(key)}"}} {val:g}')
    return lines


INBOUND_EVENTS = Counter("dutybot_inbound_events_total", "Inbound deliveries accepted.", "platform")
INBOUND_DUPLICATES = Counter(
    "dutybot_inbound_duplicates_total", "Inbound deliveries ignored as duplicates.", "platform"
)
INBOUND_REJECTED = Counter(
    "dutybot_inbound_rejected_total", "Inbound requests refused (signature, format).", "platform"
)
OUTBOX_SENT = Counter("dutybot_outbox_sent_total", "Outbox rows delivered.", "platform")
OUTBOX_FAILED = Counter("dutybot_outbox_failed_total", "Outbox rows given up on.", "platform")
OUTBOX_RATE_LIMITED = Counter(
    "dutybot_outbox_rate_limited_total", "Deliveries postponed by a rate limit.", "platform"
)

COUNTERS = [
    INBOUND_EVENTS,
    INBOUND_DUPLICATES,
    INBOUND_REJECTED,
    OUTBOX_SENT,
    OUTBOX_FAILED,
    OUTBOX_RATE_LIMITED,
]


def render_counters() -> list[str]:
    lines: list[str] = []
    for counter in COUNTERS:
        lines.extend(counter.render())
    return lines
