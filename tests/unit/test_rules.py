"""Deadline rules: every preset's rules, holiday weeks, make-up days, year boundaries,
a year without data, and the Chinese explanation of each answer."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.policy.loader import PRESET_IDS, load_policy
from bot.timekeeping.calendar import WorkingCalendar
from bot.timekeeping.explain import explain, format_time, remaining_text
from bot.timekeeping.overrides import parse_overrides
from bot.timekeeping.rules import (
    Citation,
    DeadlineRule,
    Due,
    DurationRule,
    WorkingDaysRule,
    WorkingHoursRule,
    rule_from_json,
)

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkingCalendar(tz=TZ)
KUNMING_DOC = "昆明市党政群网站及新媒体管理办法"


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


def due(preset: str, rule_id: str, start: datetime, cal: WorkingCalendar = CAL) -> Due:
    policy = load_policy(preset)
    return policy.rule(rule_id).due(start, cal.with_hours(policy.hours()))


def text(preset: str, rule_id: str, start: datetime, cal: WorkingCalendar = CAL) -> str:
    rule = load_policy(preset).rule(rule_id)
    return explain(rule, rule.due(start, cal), start=start, tz=TZ)


# ---- every rule of every preset --------------------------------------------------------------

ALL_RULES = [(p, r) for p in PRESET_IDS for r in sorted(load_policy(p).deadlines)]
STARTS = [
    at(2026, 10, 9, 10, 0),  # working hours on a working day
    at(2026, 10, 9, 19, 0),  # evening
    at(2026, 10, 3, 10, 0),  # National Day
    at(2026, 10, 10, 9, 0),  # make-up Saturday
    at(2026, 2, 13, 16, 0),  # Friday before the Spring Festival
    at(2026, 12, 30, 10, 0),  # before a year without data
]


@pytest.mark.parametrize(("preset", "rule_id"), ALL_RULES)
def test_every_preset_rule_gives_a_due_time_and_explains_it(preset: str, rule_id: str) -> None:
    policy = load_policy(preset)
    rule = policy.rule(rule_id)
    assert rule.citation.basis().startswith(("依据", "《"))
    for start in STARTS:
        result = rule.due(start, CAL.with_hours(policy.hours()))
        assert result.due_at > start
        sentence = explain(rule, result, start=start, tz=TZ)
        assert ("截止 " if rule.bound == "within" else "届满 ") in sentence
        assert format_time(result.due_at, TZ, reference=start) in sentence
        if result.provisional:
            assert "尚未录入" in sentence
        # The rule survives the JSON snapshot a deadline row keeps.
        assert rule_from_json(rule.model_dump(mode="json")) == rule


# ---- kunming: length depends on when the notice arrives ------------------------------------


def test_kunming_example_from_the_issue() -> None:
    assert text("kunming", "rectification.serious", at(2026, 10, 9, 10, 0)) == (
        f"依据《{KUNMING_DOC}》第十五条：工作时间内严重问题30分钟内完成整改，截止 10月9日 10:30"
    )


@pytest.mark.parametrize(
    ("start", "serious", "ordinary", "inside"),
    [
        (at(2026, 10, 9, 10, 0), at(2026, 10, 9, 10, 30), at(2026, 10, 9, 11, 0), True),
        (at(2026, 10, 9, 8, 30), at(2026, 10, 9, 9, 0), at(2026, 10, 9, 9, 30), True),
        (at(2026, 10, 9, 17, 50), at(2026, 10, 9, 18, 20), at(2026, 10, 9, 18, 50), True),
        (at(2026, 10, 9, 18, 0), at(2026, 10, 9, 20, 0), at(2026, 10, 9, 22, 0), False),
        (at(2026, 10, 9, 12, 30), at(2026, 10, 9, 14, 30), at(2026, 10, 9, 16, 30), False),
        (at(2026, 10, 9, 23, 0), at(2026, 10, 10, 1, 0), at(2026, 10, 10, 3, 0), False),
        (at(2026, 10, 3, 10, 0), at(2026, 10, 3, 12, 0), at(2026, 10, 3, 14, 0), False),
        (at(2026, 10, 10, 10, 0), at(2026, 10, 10, 10, 30), at(2026, 10, 10, 11, 0), True),
        (at(2026, 2, 17, 9, 0), at(2026, 2, 17, 11, 0), at(2026, 2, 17, 13, 0), False),
        (at(2026, 2, 28, 9, 0), at(2026, 2, 28, 9, 30), at(2026, 2, 28, 10, 0), True),
    ],
)
def test_kunming_inside_and_outside_working_hours(
    start: datetime, serious: datetime, ordinary: datetime, inside: bool
) -> None:
    got = due("kunming", "rectification.serious", start)
    assert got.due_at == serious
    assert got.inside_working_hours is inside
    assert due("kunming", "rectification.ordinary", start).due_at == ordinary


def test_kunming_outside_explanation() -> None:
    assert text("kunming", "rectification.ordinary", at(2026, 10, 3, 10, 0)) == (
        f"依据《{KUNMING_DOC}》第十五条："
        "工作时间外及节假日一般问题4小时内完成整改，截止 10月3日 14:00"
    )


# ---- N working days: end of the N-th working day, start day not counted ------------------------


def test_yongchuan_filing_over_national_day() -> None:
    # Wednesday 30 September 15:00; 1–7 October off; Saturday 10 October worked.
    got = due("yongchuan", "filing.change", at(2026, 9, 30, 15, 0))
    assert got.due_at == at(2026, 10, 13, 18, 0)
    assert not got.provisional
    assert text("yongchuan", "filing.change", at(2026, 9, 30, 15, 0)) == (
        "依据《永川区政务新媒体管理办法（试行）》第十二条：变更后5个工作日内报区政府办公室和区网信办备案，"
        "截止 10月13日 18:00"
    )


def test_yongchuan_filing_over_spring_festival() -> None:
    # Friday 13 February: Saturday 14th is a make-up day (1), 15–23 off, then 24–27.
    assert due("yongchuan", "filing.open", at(2026, 2, 13, 16)).due_at == at(2026, 2, 27, 18)


def test_the_start_hour_does_not_matter_for_working_day_counts() -> None:
    # Friday 9 October: Saturday 10th (make-up) is the first working day, then 12–15.
    morning = due("yongchuan", "filing.open", at(2026, 10, 9, 7, 0))
    night = due("yongchuan", "filing.open", at(2026, 10, 9, 23, 59))
    assert morning.due_at == night.due_at == at(2026, 10, 15, 18, 0)
    # Started on a holiday: the count begins with the first working day after it (8th).
    assert due("yongchuan", "filing.open", at(2026, 10, 4, 12)).due_at == at(2026, 10, 13, 18)


def test_jiaxian_two_working_days_over_a_make_up_sunday() -> None:
    # Friday 18 September; Sunday 20 September is worked (National Day make-up).
    assert due("jiaxian", "filing.change", at(2026, 9, 18, 10)).due_at == at(2026, 9, 21, 18)


def test_beibei_error_report_before_the_holiday() -> None:
    forward = due("beibei", "error_report.forward", at(2026, 9, 30, 17, 0))
    reply = due("beibei", "error_report.reply", at(2026, 9, 30, 17, 0))
    assert forward.due_at == at(2026, 10, 8, 18)
    assert reply.due_at == at(2026, 10, 9, 18)


def test_year_boundary_with_data_on_both_sides() -> None:
    # 31 December 2025: 1–3 January off, Sunday 4 January worked.
    got = due("default", "filing.open", at(2025, 12, 31, 10))
    assert got.due_at == at(2026, 1, 8, 18)
    assert not got.provisional


def test_year_without_data_is_provisional_until_the_override_adds_it() -> None:
    start = at(2026, 12, 28, 9)
    guessed = due("yongchuan", "filing.change", start)
    assert guessed.due_at == at(2027, 1, 4, 18)  # 1 January 2027 counted as a Friday
    assert guessed.provisional
    assert guessed.guessed_years == {2027}
    sentence = text("yongchuan", "filing.change", start)
    assert sentence.endswith(
        "截止 2027年1月4日 18:00（2027年的节假日安排尚未录入，暂按周一至周五推算，仅供参考）"
    )
    override = parse_overrides(
        '[2027]\nholidays = [ { name = "元旦", from = 2027-01-01, to = 2027-01-03 } ]'
    )
    known = due("yongchuan", "filing.change", start, WorkingCalendar(tz=TZ, overrides=override))
    assert known.due_at == at(2027, 1, 5, 18)
    assert not known.provisional


# ---- calendar days and months: civil-law counting --------------------------------------------


def test_dongguan_three_days_extended_past_the_holiday() -> None:
    # Opened 30 September: the third day, 3 October, is a holiday; the first working day
    # after the holiday (8 October) becomes the last day.
    got = due("dongguan", "filing.open", at(2026, 9, 30, 10))
    assert got.due_at == at(2026, 10, 9, 0, 0)
    sentence = text("dongguan", "filing.open", at(2026, 9, 30, 10))
    assert "开设后3日内通过政务新媒体管理系统备案" in sentence
    assert sentence.endswith("截止 10月8日 24:00")
    # An ordinary week: 9 October + 3 days = Monday 12 October, to its end.
    assert due("dongguan", "filing.open", at(2026, 10, 9, 15)).due_at == at(2026, 10, 13)


def test_notice_periods_are_minimums_and_never_extended() -> None:
    got = due("jiaxian", "notice.close", at(2026, 9, 2, 10))  # ends on 2 October, a holiday
    assert got.due_at == at(2026, 10, 3, 0, 0)
    assert text("jiaxian", "notice.close", at(2026, 9, 2, 10)).endswith(
        "关停迁移公告在首页显著位置悬挂不少于30天，届满 10月2日 24:00"
    )
    # yongchuan's notice counts working days: 29, 30 September, then 8 October on (with the
    # make-up Saturday), the 15th working day is Friday 23 October.
    assert due("yongchuan", "notice.change", at(2026, 9, 28, 10)).due_at == at(2026, 10, 23, 18)


def test_months_clamp_to_the_month_end_and_extend_past_weekends() -> None:
    # 31 August + 6 months = 28 February 2027 (a Sunday, no data): Monday 1 March.
    got = due("jiaxian", "golive.after_approval", at(2026, 8, 31, 10))
    assert got.due_at == at(2027, 3, 2, 0, 0)
    assert got.provisional
    assert got.guessed_years == {2027}
    # 15 January + 1 month = 15 February, inside the Spring Festival: the last day becomes
    # the first working day after it, 24 February.
    assert due("yongchuan", "change.complete", at(2026, 1, 15, 10)).due_at == at(2026, 2, 25)
    assert due("yongchuan", "change.complete", at(2026, 3, 10, 10)).due_at == at(2026, 4, 11)


def test_silence_is_counted_without_extension() -> None:
    # Last post on Friday 25 September (holiday from that day): 14 days, ends 9 October 24:00.
    assert due("jiaxian", "update.max_silence", at(2026, 9, 24, 20)).due_at == at(2026, 10, 9)
    assert due("yongchuan", "update.max_silence", at(2026, 9, 24, 20)).due_at == at(2026, 10, 2)


# ---- working-time rules ------------------------------------------------------------------------


def cite() -> Citation:
    return Citation(document="测试办法", article="第一条")


def test_working_days_rule_counts_working_time() -> None:
    one_day = WorkingDaysRule(label="t", what="办结", days=1, citation=cite())
    assert one_day.due(at(2026, 10, 12, 10), CAL).due_at == at(2026, 10, 13, 10)
    # A start in the evening starts counting next morning: the whole of Tuesday.
    assert one_day.due(at(2026, 10, 12, 19), CAL).due_at == at(2026, 10, 13, 18)
    # Over lunch: lunch does not count.
    assert one_day.due(at(2026, 10, 12, 12, 30), CAL).due_at == at(2026, 10, 13, 12)
    # Before the holiday week.
    assert one_day.due(at(2026, 9, 30, 15), CAL).due_at == at(2026, 10, 8, 15)


def test_review_reminder_in_working_hours() -> None:
    remind = load_policy("default").rule("review.remind")
    assert isinstance(remind, WorkingHoursRule)
    # Two working hours left on 30 September, the other two on 8 October.
    assert remind.due(at(2026, 9, 30, 16), CAL).due_at == at(2026, 10, 8, 10, 30)


def test_durations_ignore_the_calendar_and_are_never_provisional() -> None:
    rule = DurationRule(label="t", when="交班后", what="确认", minutes=15, citation=cite())
    got = rule.due(at(2031, 1, 1, 23, 50), CAL)
    assert got.due_at == at(2031, 1, 2, 0, 5)
    assert not got.provisional
    assert not rule.calendar_dependent


# ---- the basis of an explanation ---------------------------------------------------------------


def test_inherited_rules_say_the_document_is_silent() -> None:
    sentence = text("yongchuan", "rectification.serious", at(2026, 10, 9, 10, 0))
    assert sentence == (
        "《永川区政务新媒体管理办法（试行）》对此未作规定，采用系统默认规则"
        f"（参照《{KUNMING_DOC}》第十五条）：工作时间内严重问题30分钟内完成整改，截止 10月9日 10:30"
    )
    product = text("beibei", "handover.ack", at(2026, 10, 9, 8, 15))
    assert product.startswith(
        "《重庆市北碚区政府网站和政务新媒体管理办法》对此未作规定，采用系统默认规则："
    )
    assert product.endswith("交班后15分钟内确认接班，否则通知值班长，截止 10月9日 08:30")


def test_overridden_rules_say_so() -> None:
    policy = load_policy("kunming", {"deadlines.rectification.serious.inside_minutes": 20})
    rule: DeadlineRule = policy.rule("rectification.serious")
    got = rule.due(at(2026, 10, 9, 10), CAL)
    assert got.due_at == at(2026, 10, 9, 10, 20)
    assert explain(rule, got, start=at(2026, 10, 9, 10), tz=TZ) == (
        f"依据本单位设置（调整了《{KUNMING_DOC}》第十五条的规定）："
        "工作时间内严重问题20分钟内完成整改，截止 10月9日 10:20"
    )


# ---- texts ---------------------------------------------------------------------------------------


def test_format_time() -> None:
    assert format_time(at(2026, 10, 9, 10, 30), TZ) == "10月9日 10:30"
    assert format_time(at(2026, 10, 13, 0, 0), TZ) == "10月12日 24:00"
    assert format_time(at(2027, 1, 4, 18), TZ, reference=at(2026, 12, 28)) == "2027年1月4日 18:00"
    assert format_time(at(2027, 1, 1, 0, 0), TZ, reference=at(2026, 12, 28)) == "12月31日 24:00"
    utc = datetime(2026, 10, 9, 2, 30, tzinfo=ZoneInfo("UTC"))
    assert format_time(utc, TZ) == "10月9日 10:30"


def test_remaining_text() -> None:
    now = at(2026, 10, 9, 10)
    assert remaining_text(now + timedelta(minutes=85, seconds=30), now) == "剩余1小时25分钟"
    assert remaining_text(now + timedelta(seconds=30), now) == "剩余不到1分钟"
    assert remaining_text(now + timedelta(days=2, hours=3), now) == "剩余2天3小时"
    assert remaining_text(now + timedelta(hours=2), now) == "剩余2小时"
    assert remaining_text(now, now) == "已到期"
    assert remaining_text(now - timedelta(minutes=10), now) == "已超时10分钟"


def test_remaining_time_reads_as_the_clock_does() -> None:
    """A person compares the clock's minute with the due minute: at 10:16:05 a notice due at
    10:30 has 14 minutes left, and 5 h 50 min before 15:50 reads 5小时50分钟, whatever the
    seconds say."""
    due = at(2026, 10, 9, 10, 30)
    assert remaining_text(due, due - timedelta(minutes=13, seconds=55)) == "剩余14分钟"
    due = at(2026, 10, 9, 15, 50)
    seconds_in = at(2026, 10, 9, 10) + timedelta(seconds=40)
    assert remaining_text(due, seconds_in) == "剩余5小时50分钟"
    # Within the due minute it is due; a minute later it is a minute late.
    assert remaining_text(due, due + timedelta(seconds=20)) == "已到期"
    assert remaining_text(due, due + timedelta(minutes=1, seconds=5)) == "已超时1分钟"
    # At 15:49:40 the clock shows 15:49: one minute left.
    assert remaining_text(due, due - timedelta(seconds=20)) == "剩余1分钟"
