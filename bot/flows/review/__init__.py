"""Three-level review (三审三校) as a state machine over ``Post`` / ``ReviewStep`` rows.

A post is checked (``review_check``), then routed level by level through the roles of the
author's unit that the active preset names (``policy.review.levels``, snapshotted into the post
at submission). Each level is one ``ReviewStep`` with a card in the unit's review group that
@-mentions the approver; a decision locks the step row, checks its state and writes the next
step, the audit entry and the outbox rows in the same transaction. 先审后发: a post is 可发布
only after its last level.

The package, by responsibility: ``base`` (options, the unit of work, errors), ``chain`` (levels
and approvers), ``store`` (reading and locking posts), ``cards`` (what reviewers and authors
see), ``submission`` (check and open each level), ``decisions`` (通过 / 退回 / 不予发布 and telling
the author), ``actions`` (转交, 撤回, 催办, reminders), ``publication`` (已发布) and ``trail``
(审核记录). Callers use this package's names (``from bot.flows import review as flow``).
"""

from __future__ import annotations

from bot.flows.review.actions import delegates_for, hand_over, remind, urge, withdraw
from bot.flows.review.base import (
    ACTION,
    AUTHOR_CARD_KIND,
    STEP_HANDLER,
    AlreadyDecided,
    AuditFn,
    ReviewError,
    Work,
    options,
)
from bot.flows.review.cards import (
    EXCERPT_CHARS,
    account_names,
    attachment_names,
    author_card,
    diff_lines,
    excerpt,
    finding_lines,
    history_lines,
    split_sentences,
    step_card,
)
from bot.flows.review.chain import (
    candidates,
    earlier_approvers,
    level_roles,
    levels_from_policy,
    needs_consent,
    plan_chain,
)
from bot.flows.review.decisions import Decision, author_platform, close_step_card, decide, to_author
from bot.flows.review.publication import last_update, record_published, updates_since
from bot.flows.review.store import current_version, lock_post, previous_version
from bot.flows.review.submission import deliver_card, open_level, run_check, submit
from bot.flows.review.trail import may_see, trail_card

__all__ = [
    "ACTION",
    "AUTHOR_CARD_KIND",
    "EXCERPT_CHARS",
    "STEP_HANDLER",
    "AlreadyDecided",
    "AuditFn",
    "Decision",
    "ReviewError",
    "Work",
    "account_names",
    "attachment_names",
    "author_card",
    "author_platform",
    "candidates",
    "close_step_card",
    "current_version",
    "decide",
    "delegates_for",
    "deliver_card",
    "diff_lines",
    "earlier_approvers",
    "excerpt",
    "finding_lines",
    "hand_over",
    "history_lines",
    "last_update",
    "level_roles",
    "levels_from_policy",
    "lock_post",
    "may_see",
    "needs_consent",
    "open_level",
    "options",
    "plan_chain",
    "previous_version",
    "record_published",
    "remind",
    "run_check",
    "split_sentences",
    "step_card",
    "submit",
    "to_author",
    "trail_card",
    "updates_since",
    "urge",
    "withdraw",
]
