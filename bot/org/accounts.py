"""Finding the registry account a file entry or a spreadsheet row means.

Shared by the organisation file (entries without a key) and the registry import: an account is
identified by 责任主体 + 所属平台 (+ the platform's name for 其他), because a unit may run only one
live account per platform. Closed and cancelled accounts keep their rows, so the platform
account id (账号) breaks ties between an old and a new account on the same platform.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from bot.org.schema import ENDED_STATUSES, derived_account_key, natural_account_key
from storage.enums import AccountStatus, MediaPlatform
from storage.models.org import Account

NaturalKey = tuple[str, MediaPlatform, str]


@dataclass(frozen=True)
class Ambiguous:
    """Several existing accounts fit; the caller reports ``candidates`` to the person."""

    candidates: tuple[Account, ...]


class AccountIndex:
    """Existing accounts by key and by (unit key, platform, platform name)."""

    def __init__(self, accounts: list[Account], unit_keys: dict[int, str]) -> None:
        self.unit_keys = unit_keys
        self.by_key: dict[str, Account] = {}
        self.taken: set[str] = set()
        self.by_natural: dict[NaturalKey, list[Account]] = defaultdict(list)
        for account in accounts:
            self.add(account)

    def natural_key(self, account: Account) -> NaturalKey:
        return natural_account_key(
            self.unit_keys[account.owner_unit_id], account.platform, account.platform_name
        )

    def add(self, account: Account) -> None:
        self.by_key[account.key] = account
        self.by_natural[self.natural_key(account)].append(account)

    def reindex(self, account: Account, old: NaturalKey) -> None:
        """After an update that may have changed the account's unit or platform."""
        if account in self.by_natural[old]:
            self.by_natural[old].remove(account)
        self.by_natural[self.natural_key(account)].append(account)

    def match(
        self,
        owner_key: str,
        platform: MediaPlatform,
        platform_name: str | None,
        *,
        status: AccountStatus | None,
        platform_account_id: str | None,
        exclude: frozenset[str] = frozenset(),
    ) -> Account | Ambiguous | None:
        """The existing account this row describes; ``None`` means it is a new account.

        ``status`` is what the row says, or ``None`` when it does not say; accounts in
        ``exclude`` are taken by other rows.
        """
        candidates = [
            a
            for a in self.by_natural.get(
                natural_account_key(owner_key, platform, platform_name), []
            )
            if a.key not in exclude
        ]
        if not candidates:
            return None
        if platform_account_id:
            same_id = [a for a in candidates if a.platform_account_id == platform_account_id]
            if len(same_id) == 1:
                return same_id[0]
        live = [a for a in candidates if a.status not in ENDED_STATUSES]
        ended = [a for a in candidates if a.status in ENDED_STATUSES]
        if status is None:
            pool = live or ended
        elif status not in ENDED_STATUSES or not ended:
            # A live row is the unit's one live account on this platform; an ended row with
            # no ended account on record closes the live one.
            pool = live
        else:
            pool = ended
        if len(pool) == 1:
            return pool[0]
        if not pool:
            return None
        return Ambiguous(tuple(pool))

    def live_conflicts(self, account_key: str | None, natural: NaturalKey) -> list[Account]:
        """Live accounts other than ``account_key`` holding this unit's platform slot."""
        return [
            a
            for a in self.by_natural.get(natural, [])
            if a.key != account_key and a.status not in ENDED_STATUSES
        ]

    def reserve(self, key: str) -> None:
        """Hold a key chosen for a row not yet written."""
        self.taken.add(key)

    def new_key(self, owner_key: str, platform: MediaPlatform, platform_name: str | None) -> str:
        """A key for a new account, ``<unit>-<platform>``, numbered if already taken."""
        base = derived_account_key(owner_key, platform, platform_name)
        key, n = base, 2
        while key in self.by_key or key in self.taken:
            key = f"{base[:60]}-{n}"
            n += 1
        return key
