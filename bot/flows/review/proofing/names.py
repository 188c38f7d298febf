"""Our own names: units (full names, aliases, former names), places and posts from the directory.

Only this office knows that the district is 临江区, that 区文化委员会 was renamed, and that 小王
is a 科员 not a 科长 — commercial 错敏词 lists cannot. Three checks, each pure:

- a place written with the wrong administrative suffix (临江县 for 临江区);
- a unit's former name, or a near miss of its full name (one or two characters off);
- a post title put before a person whose directory title is a different one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.flows.review.proofing.hits import Hit, HitKind
from bot.flows.review.proofing.matcher import Matcher

SUFFIXES = ("街道", "区", "县", "市", "镇", "乡")
SOURCE = "本单位组织名单"
# After a wrongly-suffixed place these make an ordinary word, not a place (临江市场, 临江乡村).
_NOT_A_PLACE_AFTER = {
    "市": re.compile(r"^(?:场|民|容|面|值|井)"),
    "区": re.compile(r"^(?:域|别|间|块|分)"),
    "乡": re.compile(r"^(?:村|亲|愁|土|音|下|情)"),
    "县": None,
    "镇": None,
    "街道": re.compile(r"^(?:办事处)"),
}
_PLACE_AT_START = re.compile(r"^([\u4e00-\u9fa5]{2,3}?)(街道|区|县|市|镇|乡)")
_PREFIXES = ("中共", "中国共产党", "共青团")
_TAILS = (
    "委员会",
    "办公室",
    "人民政府",
    "政府",
    "管理局",
    "局",
    "中心",
    "委",
    "办",
    "所",
    "站",
    "院",
)


@dataclass(frozen=True)
class UnitNames:
    name: str
    aliases: tuple[str, ...] = ()
    former_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class PersonTitle:
    name: str
    titles: tuple[str, ...]  # 党委书记、主任 → (党委书记, 主任)


def places_in(unit_name: str) -> list[tuple[str, str]]:
    """(root, suffix) of the places a unit's name starts with: 临江区河西镇人民政府 →
    [(临江, 区), (河西, 镇)]."""
    rest = unit_name
    for prefix in _PREFIXES:
        rest = rest.removeprefix(prefix)
    found: list[tuple[str, str]] = []
    while True:
        match = _PLACE_AT_START.match(rest)
        if match is None:
            return found
        found.append((match.group(1), match.group(2)))
        rest = rest[match.end() :]


def split_titles(title: str) -> tuple[str, ...]:
    return tuple(t for t in re.split(r"[、，,；;/\s]+", title) if t)


@dataclass
class Lexicon:
    """The directory's names, with matchers built once per directory."""

    units: Sequence[UnitNames]
    people: Sequence[PersonTitle] = ()
    places: dict[str, str] = field(default_factory=dict)  # 临江区 → 临江区 (known places)

    def __post_init__(self) -> None:
        for unit in self.units:
            for root, suffix in places_in(unit.name):
                self.places[root + suffix] = root + suffix
        self.known = {u.name for u in self.units} | {a for u in self.units for a in u.aliases}
        words: list[tuple[str, tuple[str, str, str]]] = []
        for place in self.places:
            root, suffix = _split_place(place)
            for other in SUFFIXES:
                wrong = root + other
                if other != suffix and wrong not in self.places and wrong not in self.known:
                    words.append((wrong, ("place", place, other)))
        for unit in self.units:
            for former in unit.former_names:
                if former not in self.known:
                    words.append((former, ("former", unit.name, "")))
            if len(unit.name) >= 6:
                words.append((unit.name[:3], ("anchor", unit.name, "")))
        for person in self.people:
            if len(person.name) >= 2 and person.titles:
                words.append((person.name, ("person", person.name, "、".join(person.titles))))
        self.titles = sorted(
            {t for p in self.people for t in p.titles if len(t) >= 2}, key=len, reverse=True
        )
        self.matcher: Matcher[tuple[str, str, str]] = Matcher(words)

    def check(self, text: str) -> list[Hit]:
        hits: list[Hit] = []
        anchors: dict[int, list[str]] = {}
        for start, end, (what, standard, extra) in self.matcher.find(text):
            if what == "place":
                exclude = _NOT_A_PLACE_AFTER.get(extra)
                if exclude is not None and exclude.search(text[end : end + 4]):
                    continue
                hits.append(
                    Hit(
                        HitKind.NAME,
                        start,
                        end,
                        standard,
                        f"组织名单中为“{standard}”，请核对行政区划名称。",
                        SOURCE,
                        "place",
                    )
                )
            elif what == "former":
                hits.append(
                    Hit(
                        HitKind.NAME,
                        start,
                        end,
                        standard,
                        f"“{text[start:end]}”是旧名称，现名“{standard}”。",
                        SOURCE,
                        "former_name",
                    )
                )
            elif what == "anchor":
                anchors.setdefault(start, []).append(standard)
            else:
                hit = self._title_before(text, start, end, extra)
                if hit is not None:
                    hits.append(hit)
        for start, names in anchors.items():
            hit = self._near_miss(text, start, names)
            if hit is not None:
                hits.append(hit)
        return hits

    def _near_miss(self, text: str, start: int, names: list[str]) -> Hit | None:
        """The unit name written at ``start`` is a known one, or one or two characters off one."""
        best: tuple[int, int, str] | None = None
        for name in names:
            tail = next((t for t in _TAILS if name.endswith(t)), name[-1])
            for end in range(start + len(name) - 3, start + len(name) + 4):
                if end > len(text) or end <= start:
                    continue
                written = text[start:end]
                if not written.endswith(tail):
                    continue
                if written in self.known:
                    return None
                distance = edit_distance(written, name)
                limit = 2 if len(name) >= 10 else 1
                if 0 < distance <= limit and (best is None or distance < best[0]):
                    best = (distance, end, name)
        if best is None:
            return None
        _, end, name = best
        return Hit(
            HitKind.NAME,
            start,
            end,
            name,
            f"与组织名单中的单位全称“{name}”不一致，请核对。",
            SOURCE,
            "unit_name",
        )

    def _title_before(self, text: str, start: int, end: int, titles: str) -> Hit | None:
        """宣传科科长小王 when the directory says 小王 is 宣传科科员."""
        before = text[max(0, start - 12) : start]
        own = titles.split("、")
        name = text[start:end]
        for title in self.titles:
            if not before.endswith(title):
                continue
            if any(t.endswith(title) or title.endswith(t) for t in own):
                return None
            return Hit(
                HitKind.NAME,
                start - len(title),
                end,
                f"{own[0]}{name}",
                f"组织名单中{name}的职务为“{titles}”，请核对。",
                SOURCE,
                "person_title",
            )
        return None


def _split_place(place: str) -> tuple[str, str]:
    for suffix in SUFFIXES:
        if place.endswith(suffix):
            return place[: -len(suffix)], suffix
    return place, ""


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (names are short; a plain row-by-row table)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def lexicon_of(units: Iterable[UnitNames], people: Iterable[PersonTitle] = ()) -> Lexicon:
    return Lexicon(units=list(units), people=list(people))
