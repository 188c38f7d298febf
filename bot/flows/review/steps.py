"""Each level's deadline: starting and closing it, and what its steps do when they fire.

A level's deadline (rule ``review.escalate``, schedule ``review`` of the preset) reminds the
approver at ``review.remind`` and escalates at its due time. The step handler runs the
transition registered for the step (``@fires``): ``transitions`` registers them itself,
because it starts and closes the deadlines through this module and importing it here would
close a circle.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.core.work import Outcome, Work
from bot.deadlines import lifecycle
from bot.deadlines.registry import StepContext, step_handler
from bot.flows.review.model import (
    DEADLINE_KIND,
    DEADLINE_RULE,
    DEADLINE_SCHEDULE,
    REMIND_STEP,
    STEP_HANDLER,
    STEP_SUBJECT,
    ReviewError,
)
from storage.models.review import Post, ReviewStep

ESCALATE_STEP = "escalate"

# A transition a level's deadline runs: the unit of work and the review step's id.
LevelStep = Callable[[Work, int], Awaitable[Outcome]]

_ON_STEP: dict[str, LevelStep] = {}


def fires(name: str) -> Callable[[LevelStep], LevelStep]:
    """Mark the transition that the step ``name`` of a level's deadline runs."""

    def register(transition: LevelStep) -> LevelStep:
        _ON_STEP[name] = transition
        return transition

    return register


@step_handler(STEP_HANDLER)
async def on_step(ctx: StepContext) -> None:
    # Every step but the reminder escalates (the preset's schedule calls it "escalate").
    name = REMIND_STEP if ctx.name == REMIND_STEP else ESCALATE_STEP
    transition = _ON_STEP.get(name)
    if transition is None:
        raise LookupError(f"no review transition registered for step {name!r}")
    try:
        await transition(ctx, int(ctx.data["step"]))
    except ReviewError:
        return  # the level was decided, handed over or withdrawn meanwhile


# ---- starting and closing a level's deadline ----------------------------------------------------


async def start_level_deadline(w: Work, post: Post, step: ReviewStep) -> int:
    """Start the countdown of a level that has just opened; returns the deadline's id."""
    deadline = await lifecycle.start(
        w.services,
        w.conn,
        kind=DEADLINE_KIND,
        subject_type=STEP_SUBJECT,
        subject_id=step.id,
        handler=STEP_HANDLER,
        now=w.now,
        rule=DEADLINE_RULE,
        schedule=w.policy.schedule(DEADLINE_SCHEDULE),
        data={"step": step.id, "post": post.id},
    )
    return int(deadline.id)


async def complete_level_deadline(w: Work, step: ReviewStep) -> None:
    """The level is decided: its reminders stop."""
    if step.deadline_id is not None:
        await lifecycle.complete(w.services, w.conn, step.deadline_id, now=w.now, reason="已审核")


async def cancel_level_deadline(w: Work, step: ReviewStep) -> None:
    """The post was withdrawn while the level waited."""
    if step.deadline_id is not None:
        await lifecycle.cancel(w.services, w.conn, step.deadline_id, now=w.now, reason="撤回")


async def restart_level_deadline(w: Work, step: ReviewStep) -> None:
    """The level was handed over: the new approver gets the whole time again."""
    if step.deadline_id is not None:
        await lifecycle.reschedule(w.services, w.conn, step.deadline_id, now=w.now, start_at=w.now)
