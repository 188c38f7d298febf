"""The filing forms (3): one per kind, their questions, choices and validators, and the note
above the summary (the deadlines the filing will have, a naming warning).

``spec(kind, on_complete)`` builds a kind's form; ``start``, which opens the forms, binds each to
its 提交 (``start.submit``) and registers it: bound here, the two modules would import each other.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from bot.core.context import HandlerContext
from bot.core.directory import owning_unit
from bot.core.forms import (
    Answers,
    Choice,
    CompleteFn,
    FormError,
    FormSpec,
    Question,
    QuestionKind,
    normalise_phone_answer,
)
from bot.flows.filing.model import CHANGE_ITEMS, OPEN_STATES, REPORT_RULE, cite, start_of_day
from storage.enums import AccountStatus, MediaPlatform
from storage.models.filing import Filing, FilingKind, FilingStatus
from storage.models.org import Account, Person, Unit

# Words that end the name of a government body; a subject without one is likely a person.
_BODY_SUFFIX = re.compile(
    r"(局|委|办|室|中心|政府|镇|街道|乡|院|馆|会|站|所|部|厅|处|队|社|团|盟|联|公司|区|县|市)$"
)

CHANGEABLE = tuple(Choice(value, label) for value, label in CHANGE_ITEMS.items())
# Which questions a change of each item asks again.
_CHANGE_KEYS = {
    "subject": ("subject",),
    "name": ("name",),
    "account_id": ("account_id",),
    "platform": ("platform", "platform_name"),
    "manager": ("manager_name", "manager_phone"),
    "operator": ("operator_name", "operator_phone"),
}


def changed_items(answers: Answers) -> set[str]:
    return set(filter(None, answers.get("changed", "").split("\n")))


def _kind(answers: Answers) -> FilingKind:
    return FilingKind(answers.get("kind", FilingKind.OPEN.value))


def _asks(key: str) -> Any:
    """For 变更 ask an account field only if the clerk said it changes."""

    def applies(answers: Answers) -> bool:
        if _kind(answers) != FilingKind.CHANGE:
            return True
        return any(key in _CHANGE_KEYS[item] for item in changed_items(answers))

    return applies


# ---- validators -----------------------------------------------------------------------------


async def _unit_of(ctx: HandlerContext) -> Unit:
    return await owning_unit(ctx.actor.unit.id, ctx.conn)


async def check_subject(ctx: HandlerContext, value: str, answers: Answers) -> str:
    """Internal offices and individuals may not be an account's subject (3)."""
    rule = ctx.policy.accounts.forbidden_subjects
    basis = cite(rule.citation.basis())
    own = await _unit_of(ctx)
    unit = await Unit.filter(name=value).using_db(ctx.conn).first()
    if unit is not None and unit.is_internal_office:
        raise FormError(
            f"“{value}”是内设机构，{rule.value_text()}不得作为政务新媒体账号主体{basis}。"
            f"请填写本单位全称：{own.name}。"
        )
    if value == own.name or (own.name.endswith(value) and _BODY_SUFFIX.search(value)):
        return own.name  # "河西镇人民政府" for "临江区河西镇人民政府": the registry's full name
    is_person = await Person.filter(name=value).using_db(ctx.conn).exists()
    if unit is None and (is_person or not _BODY_SUFFIX.search(value)):
        raise FormError(
            f"“{value}”看起来是个人，{rule.value_text()}不得作为政务新媒体账号主体{basis}。"
            f"请填写本单位全称：{own.name}。"
        )
    raise FormError(f"只能为本单位备案，责任主体请填写：{own.name}。")


async def check_platform(ctx: HandlerContext, value: str, answers: Answers) -> str:
    """The preset's platforms; one account per platform per unit (3)."""
    policy = ctx.policy
    platform = MediaPlatform(value)
    allowed = policy.platforms
    if platform.label not in allowed.items:
        raise FormError(
            f"{platform.label}不在本地政务新媒体平台范围（{allowed.value_text()}）内"
            f"{cite(allowed.citation.basis())}，请选择其中之一。"
        )
    if platform == MediaPlatform.OTHER:
        return value
    unit = await _unit_of(ctx)
    query = Account.filter(owner_unit_id=unit.id, platform=platform).exclude(
        status=AccountStatus.CANCELLED
    )
    if answers.get("account"):
        query = query.exclude(id=int(answers["account"]))
    pending = [
        f
        for f in await Filing.filter(
            unit_id=unit.id, kind=FilingKind.OPEN, status__in=list(OPEN_STATES)
        ).using_db(ctx.conn)
        if (f.answers or {}).get("platform") == value and str(f.id) != answers.get("filing")
    ]
    if pending:
        name = (pending[0].answers or {}).get("name", "")
        raise FormError(
            f"本单位在{platform.label}的开设备案（#{pending[0].id}「{name}」）正在办理，"
            "请等它办结；要修改它，请让审批人退回后修改。"
        )
    existing = await query.using_db(ctx.conn).first()
    if existing is not None:
        rule = policy.accounts.one_per_platform
        raise FormError(
            f"本单位在{platform.label}已有账号{existing.label}，{rule.value}"
            f"{cite(rule.citation.basis())}，不能再开设。"
            f"如需修改该账号的信息，请回复“取消”后发送“备案 变更”。"
        )
    return value


async def check_phone(ctx: HandlerContext, value: str, answers: Answers) -> str:
    # The format error alone: the 备案表 is an appendix of the regulations, not a rule on
    # phone numbers, so citing it as the basis misled clerks.
    return normalise_phone_answer(value)


async def offlines_in(
    ctx: HandlerContext, account_id: int, year: int, *, besides: str | None = None
) -> list[Filing]:
    """The account's temporary offlines (pending or approved) starting in ``year``: the rule's
    year is the year of the offline, not of the filing (one filed in December may start in
    January). ``besides`` is a returned filing being corrected, which must not count itself."""
    return [
        f
        for f in await Filing.filter(
            account_id=account_id,
            kind=FilingKind.SUSPEND,
            status__in=[FilingStatus.PENDING, FilingStatus.APPROVED],
        ).using_db(ctx.conn)
        if f.effective_on is not None and f.effective_on.year == year and str(f.id) != besides
    ]


def offline_limit_refusal(ctx: HandlerContext, label: str, year: str, done: list[Filing]) -> str:
    limit = ctx.policy.lifecycle.temporary_offline_per_year
    days = "、".join(_md(f.effective_on) for f in done if f.effective_on is not None)
    return (
        f"{label}{year}已临时下线{len(done)}次，每年最多{limit.value_text()}"
        f"{cite(limit.citation.basis())}，不能再申请临时下线（已有：{days}起）。"
        "因不可抗力或被责令关停的，请选择“紧急关停”报备（不计入临时下线次数）。"
    )


async def check_start(ctx: HandlerContext, value: str, answers: Answers) -> str:
    """Once a year, counted in the year the offline starts (the pick only checked this year)."""
    if not answers.get("account"):
        return value
    start = date.fromisoformat(value)
    besides = answers.get("filing")
    done = await offlines_in(ctx, int(answers["account"]), start.year, besides=besides)
    if len(done) >= ctx.policy.lifecycle.temporary_offline_per_year.value:
        account = await Account.filter(id=int(answers["account"])).using_db(ctx.conn).get()
        raise FormError(offline_limit_refusal(ctx, account.label, f"{start.year}年", done))
    return value


async def check_end(ctx: HandlerContext, value: str, answers: Answers) -> str:
    """A temporary offline lasts at most the preset's period (jiaxian 30 days)."""
    if not answers.get("start"):  # a form card whose start date was itself wrong
        raise FormError("请先填写正确的下线日期。")
    start = date.fromisoformat(answers["start"])
    end = date.fromisoformat(value)
    if end <= start:
        raise FormError("恢复上线日期须晚于下线日期。")
    tk = ctx.services.timekeeping
    rule = tk.policy.rule("suspend.max_duration")
    due = tk.due(rule, start_of_day(start, ctx.tz))
    # Counted the civil-law way like every calendar-day period (the countdown started on
    # approval uses the same due time): the offline day itself does not count, the period ends
    # at 24:00 of its last day, so the account is back online on the next day at the latest.
    # Said as dates, because "不能晚于1月4日 24:00" reads as "resume on 1月4日" to a clerk.
    latest = (due.due_at.astimezone(ctx.tz) - timedelta(microseconds=1)).date() + timedelta(days=1)
    if end > latest:
        first, last = start + timedelta(days=1), latest - timedelta(days=1)
        raise FormError(
            f"临时下线时间最长{rule.length_text()}（下线当天不计，自{_md(first)}"
            f"起算，至{_md(last)}24时止）{cite(due.basis)}，"
            f"恢复上线日期最晚为{_md(latest)}。"
        )
    return value


def _md(day: date) -> str:
    return f"{day.month}月{day.day}日"


# ---- questions ------------------------------------------------------------------------------

_PLATFORMS = tuple(Choice(p.value, p.label) for p in MediaPlatform)


def _account_questions() -> tuple[Question, ...]:
    return (*_identity_questions(), *_people_questions())


def _identity_questions() -> tuple[Question, ...]:
    # The platform first: one account per platform per unit is the refusal a clerk most often
    # meets, and it must come before they have typed a name and an account number.
    return (
        Question(
            "platform",
            "所属平台",
            "请选择所属平台",
            kind=QuestionKind.CHOICE,
            choices=_PLATFORMS,
            validate=check_platform,
            when=_asks("platform"),
        ),
        Question(
            "platform_name",
            "平台名称",
            "请写明平台的具体名称",
            when=lambda a: (
                a.get("platform") == MediaPlatform.OTHER.value and _asks("platform_name")(a)
            ),
        ),
        Question(
            "subject",
            "责任主体",
            "请填写责任主体（主办单位全称）",
            validate=check_subject,
            when=_asks("subject"),
        ),
        Question(
            "name", "新媒体名称", "请填写新媒体名称（与平台上显示的一致）", when=_asks("name")
        ),
        Question(
            "account_id", "账号", "请填写账号（微信号、微博ID、抖音号等）", when=_asks("account_id")
        ),
    )


def _people_questions() -> tuple[Question, ...]:
    return (
        Question(
            "manager_name", "运营主管负责人", "请填写运营主管负责人姓名", when=_asks("manager_name")
        ),
        Question(
            "manager_phone",
            "负责人联系方式",
            "请填写运营主管负责人联系方式",
            validate=check_phone,
            when=_asks("manager_phone"),
        ),
        Question("operator_name", "运营人员", "请填写运营人员姓名", when=_asks("operator_name")),
        Question(
            "operator_phone",
            "运营人员联系方式",
            "请填写运营人员联系方式",
            validate=check_phone,
            when=_asks("operator_phone"),
        ),
    )


_REASON = Question("reason", "备案原由", "请简要说明备案原由", kind=QuestionKind.LONG_TEXT)
_EFFECTIVE = {
    FilingKind.CHANGE: Question(
        "effective",
        "变更生效日期",
        "变更从哪天起生效？（如 2026-10-12、今天）",
        kind=QuestionKind.DATE,
    ),
    FilingKind.CLOSE: Question(
        "effective", "关停日期", "计划哪天关停？（公告自这天起计算）", kind=QuestionKind.DATE
    ),
    FilingKind.CANCEL: Question("effective", "注销日期", "计划哪天注销？", kind=QuestionKind.DATE),
    FilingKind.RESUME: Question(
        "effective", "恢复上线日期", "哪天恢复上线？", kind=QuestionKind.DATE
    ),
    FilingKind.EMERGENCY: Question(
        "effective", "关停日期", "账号是哪天紧急关停的？", kind=QuestionKind.DATE
    ),
}
_MIGRATION = Question(
    "migration",
    "内容迁移方案",
    "原有内容如何整合迁移？（迁移到哪个账号或网站）",
    kind=QuestionKind.LONG_TEXT,
)
_NOTICE = Question(
    "notice",
    "关停公告",
    "请填写关停公告内容或发布位置（首页显著位置）",
    kind=QuestionKind.LONG_TEXT,
)

QUESTIONS: dict[FilingKind, tuple[Question, ...]] = {
    FilingKind.OPEN: (
        *_identity_questions(),
        _REASON,
        *_people_questions(),
        Question(
            "plan_lead",
            "组织领导",
            "实施方案——组织领导：由谁分管、谁负责？",
            kind=QuestionKind.LONG_TEXT,
        ),
        Question(
            "plan_funding",
            "经费保障",
            "实施方案——经费保障：经费从哪里来？",
            kind=QuestionKind.LONG_TEXT,
        ),
        Question(
            "plan_rules",
            "管理制度",
            "实施方案——管理制度：审核发布、值班等制度？",
            kind=QuestionKind.LONG_TEXT,
        ),
        Question("plan_contact", "方案联系人", "实施方案——联系人及联系方式？"),
    ),
    FilingKind.CHANGE: (
        Question(
            "changed",
            "变更事项",
            "哪些信息要变更？（" + "、".join(c.label for c in CHANGEABLE) + "，可多选）",
            kind=QuestionKind.MULTI_CHOICE,
            choices=CHANGEABLE,
        ),
        *_account_questions(),
        _REASON,
        _EFFECTIVE[FilingKind.CHANGE],
    ),
    FilingKind.CLOSE: (_REASON, _MIGRATION, _NOTICE, _EFFECTIVE[FilingKind.CLOSE]),
    FilingKind.CANCEL: (_REASON, _MIGRATION, _NOTICE, _EFFECTIVE[FilingKind.CANCEL]),
    FilingKind.SUSPEND: (
        _REASON,
        Question(
            "start", "下线日期", "哪天开始临时下线？", kind=QuestionKind.DATE, validate=check_start
        ),
        Question(
            "end", "恢复上线日期", "哪天恢复上线？", kind=QuestionKind.DATE, validate=check_end
        ),
    ),
    FilingKind.RESUME: (_REASON, _EFFECTIVE[FilingKind.RESUME]),
    FilingKind.EMERGENCY: (_REASON, _EFFECTIVE[FilingKind.EMERGENCY]),
}


# ---- the summary note: deadlines and warnings shown before submitting -----------------------


async def summary_note(ctx: HandlerContext, answers: Answers, extra: dict[str, Any]) -> str:
    kind = FilingKind(extra["kind"])
    tk = ctx.services.timekeeping
    tz = ctx.tz
    lines: list[str] = []
    if extra.get("account_line"):
        lines.append(f"账号：{extra['account_line']}")
    if kind == FilingKind.EMERGENCY:
        emergency = tk.policy.lifecycle.emergency_shutdown
        lines.append(f"紧急关停为事后报备：{emergency.value}{cite(emergency.citation.basis())}。")
    effective = answers.get("effective") or answers.get("start")
    if kind in REPORT_RULE and effective:
        due = tk.due(REPORT_RULE[kind], start_of_day(date.fromisoformat(effective), tz))
        # The explanation ends with "截止 <due>": said once, not before it as well.
        lines.append(f"报送主管单位时限：{due.explanation}。")
    if kind in (FilingKind.CLOSE,) and effective:
        due = tk.due("notice.close", start_of_day(date.fromisoformat(effective), tz))
        lines.append(f"关停公告期：{due.explanation}；届满后方可办理注销。")
    if kind == FilingKind.OPEN:
        rule = tk.policy.rule("golive.after_approval")
        lines.append(f"批准后须在{rule.length_text()}内上线运行{cite(rule.citation.basis())}。")
    name = answers.get("name") or extra.get("registry", {}).get("name")
    if name and kind in (FilingKind.OPEN, FilingKind.CHANGE):
        warning = await name_warning(ctx, name, extra.get("account_id"))
        if warning:
            lines.append(warning)
    return "\n".join(lines)


async def name_warning(ctx: HandlerContext, name: str, account_id: int | None) -> str:
    """Names should agree across the unit's platforms: a warning, not a refusal (3)."""
    unit = await _unit_of(ctx)
    others = (
        await Account.filter(owner_unit_id=unit.id)
        .exclude(status=AccountStatus.CANCELLED)
        .exclude(id=account_id or 0)
        .using_db(ctx.conn)
    )
    differing = sorted({a.name for a in others if a.name != name})
    if not differing:
        return ""
    naming = ctx.policy.accounts.naming
    return (
        f"提醒：本单位其他平台账号名称为「{'」「'.join(differing)}」，与「{name}」不一致。"
        f"{naming.value}{cite(naming.citation.basis())}。如确需不同名称，可继续提交。"
    )


def spec(kind: FilingKind, on_complete: CompleteFn) -> FormSpec:
    """The form of one kind, whose 提交 runs ``on_complete``."""
    return FormSpec(
        name=f"filing.{kind.value}",
        label=f"{kind.label}备案",
        questions=QUESTIONS[kind],
        on_complete=on_complete,
        summary_title=f"请核对{kind.label}备案",
        submit_label="提交备案" if kind != FilingKind.EMERGENCY else "提交报备",
        summary_note=summary_note,
    )
