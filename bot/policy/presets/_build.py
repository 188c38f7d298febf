"""Small constructors that keep the preset modules readable: each returns plain data."""

from __future__ import annotations

from typing import Any

from storage.enums import Role

Data = dict[str, Any]


class Source:
    """Citations into one document: ``yc = Source("永川区…"); yc("第十二条")``."""

    def __init__(self, title: str, *, default: bool = False) -> None:
        self.title = title
        self.default = default

    def __call__(self, article: str = "") -> Data:
        data: Data = {"document": self.title, "article": article}
        if self.default:
            data["default"] = True
        return data


def product_default(document: str = "", article: str = "") -> Data:
    """A dutybot default; ``document``/``article`` name the regulation it follows, if any."""
    return {"document": document, "article": article, "default": True}


def _rule(kind: str, label: str, when: str, what: str, cite: Data, **fields: Any) -> Data:
    return {"kind": kind, "label": label, "when": when, "what": what, "citation": cite, **fields}


def end_of_working_day(
    label: str, days: int, *, when: str, what: str, cite: Data, at_least: bool = False
) -> Data:
    return _rule(
        "end_of_working_day",
        label,
        when,
        what,
        cite,
        days=days,
        bound="at_least" if at_least else "within",
    )


def working_hours(label: str, hours: float, *, when: str, what: str, cite: Data) -> Data:
    return _rule("working_hours", label, when, what, cite, hours=hours)


def calendar_days(
    label: str,
    days: int,
    *,
    when: str,
    what: str,
    cite: Data,
    at_least: bool = False,
    extend: bool = True,
) -> Data:
    return _rule(
        "calendar_days",
        label,
        when,
        what,
        cite,
        days=days,
        bound="at_least" if at_least else "within",
        extend_past_holidays=extend,
    )


def calendar_months(label: str, months: int, *, when: str, what: str, cite: Data) -> Data:
    return _rule("calendar_months", label, when, what, cite, months=months)


def duration(label: str, minutes: int, *, when: str, what: str, cite: Data) -> Data:
    return _rule("duration", label, when, what, cite, minutes=minutes)


def by_working_hours(
    label: str, inside: int, outside: int, *, when: str, what: str, cite: Data
) -> Data:
    return _rule(
        "by_working_hours",
        label,
        when,
        what,
        cite,
        inside_minutes=inside,
        outside_minutes=outside,
    )


def text(label: str, value: str, cite: Data) -> Data:
    return {"label": label, "value": value, "citation": cite}


def texts(label: str, items: list[str], cite: Data) -> Data:
    return {"label": label, "items": items, "citation": cite}


def number(label: str, value: int, unit: str, cite: Data) -> Data:
    return {"label": label, "value": value, "unit": unit, "citation": cite}


def level(name: str, roles: list[Role], duty: str = "") -> Data:
    return {"name": name, "roles": [r.value for r in roles], "duty": duty}


def penalty(
    label: str, condition: str, action: str, cite: Data, threshold: int | None = None
) -> Data:
    return {
        "label": label,
        "condition": condition,
        "action": action,
        "threshold": threshold,
        "citation": cite,
    }
