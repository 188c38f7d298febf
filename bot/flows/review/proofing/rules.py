"""Wording and typo rules: the shipped rule files and an office's own (DUTYBOT_REVIEW_WORDING_FILE).

A rule file is YAML::

    version: "2026.1"
    rules:
      - id: xi-thought-missing-zhongguo            # unique, kept stable across versions
        kind: wording                              # wording (blocks, as other findings) | typo
        find: [习近平新时代特色社会主义思想]          # literal words; "错: 对" pairs allowed
        standard: 习近平新时代中国特色社会主义思想   # what the found words should read
        source: 《……》                             # where the standard form comes from
        not_preceded_by: "党的$"                   # optional regexes on the text around a hit
        followed_by: "^(?:目前|今年)"
        not_followed_by: "^场"
        examples:                                  # every rule carries both, tested
          flag: [一句必须提示的话]
          keep: [一句不应提示的话]

Rules are matched with one Aho–Corasick automaton over every ``find`` word; the regexes run only
at a hit, on at most 24 characters either side, so the cost stays linear in the post.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from bot.flows.review.proofing.hits import Hit, HitKind
from bot.flows.review.proofing.matcher import Matcher

log = logging.getLogger(__name__)

SHIPPED_FILES = ("wording.yaml", "typos.yaml")
_AROUND = 24


class RuleFileError(ValueError):
    """A rule file that cannot be used; the message names the file, the rule and the field."""


@dataclass(frozen=True)
class Rule:
    id: str
    kind: HitKind
    words: tuple[tuple[str, str], ...]  # (found, standard)
    source: str
    note: str = ""
    not_preceded_by: re.Pattern[str] | None = None
    followed_by: re.Pattern[str] | None = None
    not_followed_by: re.Pattern[str] | None = None
    flag: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()

    def applies(self, text: str, start: int, end: int) -> bool:
        before = text[max(0, start - _AROUND) : start]
        after = text[end : end + _AROUND]
        if self.not_preceded_by is not None and self.not_preceded_by.search(before):
            return False
        if self.followed_by is not None and not self.followed_by.search(after):
            return False
        return not (self.not_followed_by is not None and self.not_followed_by.search(after))


@dataclass(frozen=True)
class RuleSet:
    """Rules from one or more files, with one matcher over all their words."""

    rules: tuple[Rule, ...]
    versions: tuple[str, ...]

    def __post_init__(self) -> None:
        matcher: Matcher[tuple[tuple[str, str], Rule]] = Matcher(
            (found, ((found, standard), rule))
            for rule in self.rules
            for found, standard in rule.words
        )
        object.__setattr__(self, "_matcher", matcher)

    def check(self, text: str) -> list[Hit]:
        matcher: Matcher[tuple[tuple[str, str], Rule]] = getattr(self, "_matcher")  # noqa: B009
        hits: list[Hit] = []
        for start, end, ((_, standard), rule) in matcher.find(text):
            if rule.applies(text, start, end):
                advice = rule.note or f"规范表述为“{standard}”。"
                hits.append(Hit(rule.kind, start, end, standard, advice, rule.source, rule.id))
        return hits


def _regex(raw: Any, where: str, name: str) -> re.Pattern[str] | None:
    if raw in (None, ""):
        return None
    try:
        return re.compile(str(raw))
    except re.error as exc:
        raise RuleFileError(f"{where}.{name}：正则表达式有误（{exc}）") from exc


def _words(raw: Any, standard: str, where: str) -> tuple[tuple[str, str], ...]:
    items = raw if isinstance(raw, list) else [raw]
    words: list[tuple[str, str]] = []
    for item in items:
        if isinstance(item, dict) and len(item) == 1:
            ((found, right),) = item.items()
            words.append((str(found).strip(), str(right).strip()))
        elif isinstance(item, str | int) and str(item).strip():
            if not standard:
                raise RuleFileError(f"{where}.standard：请写明规范表述")
            words.append((str(item).strip(), standard))
        else:
            raise RuleFileError(f"{where}.find：每一项写一个词，或“错误写法: 规范写法”")
    if not words:
        raise RuleFileError(f"{where}.find：至少写一个要查找的词")
    return tuple(words)


def _examples(raw: Any, where: str, name: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise RuleFileError(f"{where}.examples.{name}：请写成句子列表")
    return tuple(raw)


def parse_rules(text: str, label: str) -> tuple[str, list[Rule]]:
    """(version, rules) of one rule file; every problem names the file, the rule and the field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RuleFileError(f"{label}：不是有效的 YAML（{exc}）") from exc
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise RuleFileError(f"{label}：文件须包含 version 和 rules 列表")
    version = str(data.get("version", ""))
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(data["rules"], start=1):
        where = f"{label} 第{index}条规则"
        if not isinstance(raw, dict):
            raise RuleFileError(f"{where}：应为键值对")
        rule_id = str(raw.get("id") or "").strip()
        if not rule_id:
            raise RuleFileError(f"{where}.id：请为规则起一个编号")
        where = f"{label} 规则 {rule_id}"
        if rule_id in seen:
            raise RuleFileError(f"{where}.id：编号重复")
        seen.add(rule_id)
        try:
            kind = HitKind(str(raw.get("kind", "wording")))
        except ValueError:
            raise RuleFileError(f"{where}.kind：只能是 wording 或 typo") from None
        if kind == HitKind.NAME:
            raise RuleFileError(f"{where}.kind：只能是 wording 或 typo")
        source = str(raw.get("source") or "").strip()
        if not source:
            raise RuleFileError(f"{where}.source：请写明规范表述的出处")
        examples = raw.get("examples") or {}
        if not isinstance(examples, dict):
            raise RuleFileError(f"{where}.examples：请写 flag 和 keep 两个句子列表")
        rules.append(
            Rule(
                id=rule_id,
                kind=kind,
                words=_words(raw.get("find"), str(raw.get("standard") or "").strip(), where),
                source=source,
                note=str(raw.get("note") or "").strip(),
                not_preceded_by=_regex(raw.get("not_preceded_by"), where, "not_preceded_by"),
                followed_by=_regex(raw.get("followed_by"), where, "followed_by"),
                not_followed_by=_regex(raw.get("not_followed_by"), where, "not_followed_by"),
                flag=_examples(examples.get("flag"), where, "flag"),
                keep=_examples(examples.get("keep"), where, "keep"),
            )
        )
    return version, rules


def shipped_rules() -> list[tuple[str, list[Rule]]]:
    """The rule files inside the package, (version, rules) each."""
    folder = resources.files("bot.flows.review.proofing")
    return [parse_rules(folder.joinpath(name).read_text("utf-8"), name) for name in SHIPPED_FILES]


@lru_cache(maxsize=1)
def _shipped_set() -> RuleSet:
    loaded = shipped_rules()
    return RuleSet(
        rules=tuple(r for _, rules in loaded for r in rules),
        versions=tuple(v for v, _ in loaded),
    )


def office_rules(path: Path) -> tuple[str, list[Rule]]:
    """An office's rule file, checked; a missing or broken file raises ``RuleFileError``."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleFileError(f"{path.name}：无法读取（{exc}）") from exc
    version, rules = parse_rules(text, path.name)
    shipped_ids = {rule.id for rule in _shipped_set().rules}
    for rule in rules:
        if rule.id in shipped_ids:
            raise RuleFileError(f"{path.name} 规则 {rule.id}.id：与内置规则编号重复，请换一个")
    return version, rules


@lru_cache(maxsize=4)
def _with_office_file(path: str, mtime_ns: int) -> RuleSet:
    del mtime_ns  # part of the cache key: an edited file is read again
    shipped = _shipped_set()
    version, office = office_rules(Path(path))
    return RuleSet(rules=shipped.rules + tuple(office), versions=(*shipped.versions, version))


def rule_set(office_file: Path | None = None) -> RuleSet:
    """The shipped rules, plus the office's file when there is one (read again when edited).

    A broken office file is logged and skipped: the shipped rules still check every post, and
    `dutybot config check` names the problem."""
    if office_file is None or not office_file.exists():
        return _shipped_set()
    try:
        return _with_office_file(str(office_file), office_file.stat().st_mtime_ns)
    except RuleFileError as exc:
        log.error("office wording file skipped: %s", exc)
        return _shipped_set()
