"""Build the effective policy: a preset on top of ``default``, plus a deployment's overrides.

A value the preset's document does not state is taken from ``default`` and marked
(``citation.silent``), so explanations say "《…》对此未作规定，采用系统默认规则". A value
changed by ``DUTYBOT_POLICY_OVERRIDES`` is marked ``citation.overridden``.
"""

from __future__ import annotations

import copy
import importlib
import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from pydantic import ValidationError

from bot.policy.model import Policy
from bot.policy.presets import PRESET_MODULES

PRESET_IDS: tuple[str, ...] = tuple(PRESET_MODULES)
# Sections keyed by free-form ids, where an override may add a new entry.
OPEN_SECTIONS = frozenset({"deadlines", "schedules", "escalations", "penalties"})


class PolicyError(ValueError):
    """An unknown preset or an unusable override; the message is for the admin (Chinese)."""


def _raw(preset_id: str) -> dict[str, Any]:
    module = importlib.import_module(PRESET_MODULES[preset_id])
    data: dict[str, Any] = module.PRESET
    return data


def _is_leaf(node: Any) -> bool:
    return isinstance(node, dict) and "citation" in node


def _mark_silent(node: Any, title: str) -> None:
    if _is_leaf(node):
        node["citation"] = {**node["citation"], "silent": title}
        return
    if isinstance(node, dict):
        for value in node.values():
            _mark_silent(value, title)


def _overlay(base: dict[str, Any], top: Mapping[str, Any]) -> None:
    """Put the preset's values over the defaults: sections merge, leaves are replaced whole
    (keeping the default's label when the preset gives none)."""
    for key, value in top.items():
        current = base.get(key)
        if _is_leaf(value):
            merged = dict(value)
            if isinstance(current, dict) and "label" in current:
                merged.setdefault("label", current["label"])
            base[key] = copy.deepcopy(merged)
        elif isinstance(value, Mapping) and isinstance(current, dict) and not _is_leaf(current):
            _overlay(current, value)
        else:
            base[key] = copy.deepcopy(value)


@cache
def _preset_data(preset_id: str) -> str:
    """The merged preset as JSON (cached; parsed afresh so callers may mutate it)."""
    data = copy.deepcopy(_raw("default"))
    if preset_id != "default":
        top = _raw(preset_id)
        _mark_silent(data, top["document"]["title"])
        # Identity fields belong to the preset, whatever default says.
        for key in ("id", "jurisdiction", "document"):
            data[key] = copy.deepcopy(top[key])
        _overlay(
            data, {k: v for k, v in top.items() if k not in ("id", "jurisdiction", "document")}
        )
    return json.dumps(data, ensure_ascii=False)


def preset_policy(preset_id: str) -> Policy:
    """A preset as shipped, without a deployment's overrides."""
    return load_policy(preset_id)


def load_policy(preset_id: str, overrides: Mapping[str, Any] | None = None) -> Policy:
    """The effective policy; ``PolicyError`` (Chinese) for an unknown id or a bad override."""
    if preset_id not in PRESET_MODULES:
        raise PolicyError(
            f"未知的政策预设“{preset_id}”。可选：{'、'.join(PRESET_IDS)}。"
            "请检查 DUTYBOT_POLICY 的设置。"
        )
    data: dict[str, Any] = json.loads(_preset_data(preset_id))
    for path, value in _flatten_overrides(overrides or {}):
        _apply(data, path, value)
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(_explain_validation(exc, overridden=bool(overrides))) from None


# ---- overrides ---------------------------------------------------------------------------


def _flatten_overrides(overrides: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Accept dotted keys ({"deadlines.rectification.serious.inside_minutes": 20}) and nested
    objects ({"deadlines": {"rectification.serious": {"inside_minutes": 20}}}) alike."""
    if not isinstance(overrides, Mapping):
        raise PolicyError('DUTYBOT_POLICY_OVERRIDES 应是一个 JSON 对象，如 {"路径": 值}')
    pairs: list[tuple[str, Any]] = []
    for key, value in overrides.items():
        if not isinstance(key, str) or not key.strip():
            raise PolicyError("DUTYBOT_POLICY_OVERRIDES 中有空的路径")
        pairs.append((key.strip(), value))
    return pairs


def _apply(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node: Any = data
    leaf: dict[str, Any] | None = None
    walked: list[str] = []
    index = 0
    while True:
        if not isinstance(node, dict):
            raise _bad_path(path)
        if _is_leaf(node):
            leaf = node
        key = _longest_key(node, parts, index)
        if key is None:
            if len(walked) == 1 and walked[0] in OPEN_SECTIONS and isinstance(value, dict):
                # A deployment may add its own rule, schedule, chain or penalty.
                node[".".join(parts[index:])] = _new_leaf(value)
                return
            raise _bad_path(path)
        if key == "citation":
            raise PolicyError(
                f"DUTYBOT_POLICY_OVERRIDES 中的“{path}”：规则的出处不能修改，只能调整规则本身的值"
            )
        walked.append(key)
        index += key.count(".") + 1
        if index == len(parts):
            target = node[key]
            if isinstance(value, dict) and isinstance(target, dict) and not _is_leaf(target):
                # A nested object addressing a section: apply each of its values in turn.
                for inner, inner_value in value.items():
                    _apply(data, f"{path}.{inner}", inner_value)
                return
            _set(node, key, value)
            if _is_leaf(node[key]):
                leaf = node[key]
            break
        node = node[key]
    if leaf is None:
        # A whole section was replaced: every leaf below it is now the deployment's.
        _mark_overridden(_lookup(data, walked))
    else:
        leaf["citation"] = {**leaf["citation"], "overridden": True}


def _longest_key(node: dict[str, Any], parts: list[str], index: int) -> str | None:
    """Keys may contain dots ("rectification.serious"): take the longest that exists."""
    for end in range(len(parts), index, -1):
        key = ".".join(parts[index:end])
        if key in node:
            return key
    return None


def _lookup(data: dict[str, Any], keys: list[str]) -> Any:
    node: Any = data
    for key in keys:
        node = node[key]
    return node


def _set(node: dict[str, Any], key: str, value: Any) -> None:
    current = node[key]
    if isinstance(value, dict) and _is_leaf(current):
        if "kind" in value and value["kind"] != current.get("kind"):
            # A different kind of rule: keep only what every kind shares.
            kept = {k: current[k] for k in ("label", "when", "what", "bound", "citation")}
            node[key] = {**kept, **value}
        else:
            node[key] = {**current, **value}
        if "citation" in value:
            raise PolicyError("DUTYBOT_POLICY_OVERRIDES 不能修改规则的出处（citation）")
        return
    node[key] = value


def _new_leaf(value: dict[str, Any]) -> dict[str, Any]:
    leaf = dict(value)
    leaf["citation"] = {"overridden": True}
    return leaf


def _mark_overridden(node: Any) -> None:
    if _is_leaf(node):
        node["citation"] = {**node["citation"], "overridden": True}
    elif isinstance(node, dict):
        for value in node.values():
            _mark_overridden(value)


def _bad_path(path: str) -> PolicyError:
    return PolicyError(
        f"DUTYBOT_POLICY_OVERRIDES 中的“{path}”不是可调整的规则项。"
        "可用 dutybot policy show 查看每一项的路径。"
    )


_MESSAGES = {
    "missing": "缺少这一项",
    "extra_forbidden": "不认识这一项",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "string_type": "应为文字",
    "greater_than": "数值太小",
    "greater_than_equal": "数值太小",
    "less_than_equal": "数值太大",
    "literal_error": "取值不在允许范围内",
    "union_tag_invalid": "kind 只能是 working_days、working_hours、end_of_working_day、"
    "calendar_days、calendar_months、duration、by_working_hours 之一",
    "enum": "不是已知的角色",
    "too_short": "不能为空",
}


def _explain_validation(exc: ValidationError, *, overridden: bool) -> str:
    first = exc.errors()[0]
    # Drop the union's discriminator values ("by_working_hours") from the path people read.
    kinds = {"working_days", "working_hours", "end_of_working_day", "calendar_days"}
    kinds |= {"calendar_months", "duration", "by_working_hours"}
    where = ".".join(
        str(p) for p in first["loc"] if not str(p).startswith("function-") and str(p) not in kinds
    )
    reason = _MESSAGES.get(first["type"], first["msg"])
    if first["type"] == "value_error":
        reason = str(first["msg"]).removeprefix("Value error, ")
    origin = "DUTYBOT_POLICY_OVERRIDES 调整后的规则" if overridden else "政策预设"
    more = f"（另有 {len(exc.errors()) - 1} 处问题）" if len(exc.errors()) > 1 else ""
    return f"{origin}有误：{where} {reason}{more}。请修改后重新启动。"
