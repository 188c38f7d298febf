"""Who is who on Feishu: person ids → Feishu ids, Feishu ids → the directory's identity."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from bot.adapters.feishu.payloads import UserIds
from bot.core.events import PlatformUser
from storage.enums import IdentityKind, Platform
from storage.models.org import Identity

log = logging.getLogger(__name__)

# open_id is what Feishu sends everywhere; user_id needs an extra permission scope; union_id
# cannot be used in ``<at id=…>``.
SEND_PREFERENCE = (IdentityKind.OPEN_ID, IdentityKind.USER_ID, IdentityKind.UNION_ID)
AT_KINDS = (IdentityKind.OPEN_ID, IdentityKind.USER_ID)


async def feishu_ids(person_ids: Iterable[int]) -> dict[int, tuple[IdentityKind, str]]:
    """The best Feishu id of each person that has one."""
    wanted = sorted(set(person_ids))
    if not wanted:
        return {}
    rows = await Identity.filter(person_id__in=wanted, platform=Platform.FEISHU)
    best: dict[int, tuple[IdentityKind, str]] = {}
    for row in sorted(rows, key=lambda r: SEND_PREFERENCE.index(IdentityKind(r.kind))):
        best.setdefault(row.person_id, (IdentityKind(row.kind), row.value))
    return best


async def at_ids(person_ids: Iterable[int]) -> dict[int, str]:
    """Ids usable in ``<at id=…>`` / ``<at user_id=…>`` (open_id or user_id)."""
    found = await feishu_ids(person_ids)
    return {pid: value for pid, (kind, value) in found.items() if kind in AT_KINDS}


# Which ids are on file, remembered briefly: this lookup is on every event's answer path.
# Only the choice of id kind depends on it; the person is looked up again when processing.
_KNOWN_TTL_SECONDS = 60.0
_KNOWN_MAX = 10_000
_known_cache: dict[tuple[IdentityKind, str], tuple[bool, float]] = {}


async def _known(kind: IdentityKind, value: str) -> bool:
    now = time.monotonic()
    cached = _known_cache.get((kind, value))
    if cached is not None and now - cached[1] < _KNOWN_TTL_SECONDS:
        return cached[0]
    found = await Identity.filter(platform=Platform.FEISHU, kind=kind, value=value).exists()
    if len(_known_cache) >= _KNOWN_MAX:
        _known_cache.clear()
    _known_cache[(kind, value)] = (found, now)
    return found


async def platform_user(ids: UserIds) -> PlatformUser:
    """The sender as the directory knows them: the first of their ids that has an identity.

    The organisation file may list a person's open_id, user_id or both; Feishu sends all the
    ids its permissions allow, so match whichever one is on file.
    """
    candidates = [
        (IdentityKind.OPEN_ID, ids.open_id),
        (IdentityKind.USER_ID, ids.user_id),
        (IdentityKind.UNION_ID, ids.union_id),
    ]
    present = [(kind, value) for kind, value in candidates if value]
    for kind, value in present:
        if await _known(kind, value):
            return PlatformUser(platform=Platform.FEISHU, kind=kind, value=value)
    # Logged so an admin can copy the id into the organisation file.
    log.info(
        "飞书用户不在组织名单中：%s",
        "，".join(f"{kind.value}={value}" for kind, value in present),
    )
    kind, value = present[0]
    return PlatformUser(platform=Platform.FEISHU, kind=kind, value=value)
