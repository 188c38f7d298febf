"""The pre-review check: personal data, ads, reposts and sensitive words, each with its place."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.flows.review.check import (
    PERSONAL_DATA,
    CheckInput,
    FindingKind,
    check_post,
    id_check_digit,
    is_valid_id_number,
    looks_like_dates,
    luhn_ok,
)


def make_id(region: str = "500118", born: str = "19900307", seq: str = "123") -> str:
    first17 = region + born + seq
    return first17 + id_check_digit(first17)


def kinds(text: str, **kw: object) -> list[FindingKind]:
    return [f.kind for f in check_post(CheckInput(text, **kw)).findings]  # type: ignore[arg-type]


def test_valid_id_and_mobile_inside_prose_found_invalid_id_and_date_ignored() -> None:
    valid = make_id()
    invalid = valid[:-1] + ("1" if valid[-1] != "1" else "2")
    text = (
        f"本届桃花节于20261009至20261012举行，游客刘女士（身份证{valid}）说，"
        f"她是看到朋友转发的消息才来的，联系电话13812345678。"
        f"另一份登记表上的编号{invalid}已作废。"
    )
    result = check_post(CheckInput(text))
    assert [f.kind for f in result.findings] == [FindingKind.ID_NUMBER, FindingKind.MOBILE]
    id_finding, mobile = result.findings
    assert text[id_finding.start : id_finding.end] == valid
    assert text[mobile.start : mobile.end] == "13812345678"
    # Where: line and column, and an excerpt with the number masked.
    assert id_finding.line == 1
    assert id_finding.column == text.index(valid) + 1
    assert "500***********" in id_finding.excerpt
    assert valid not in id_finding.excerpt
    assert "138****5678" in mobile.describe()
    assert mobile.describe().startswith(f"第1行第{text.index('1381') + 1}字 手机号")


def test_lowercase_x_check_character() -> None:
    # 11010519491231002X is the textbook example of GB 11643.
    assert is_valid_id_number("11010519491231002X")
    assert kinds("证件号11010519491231002x，") == [FindingKind.ID_NUMBER]


def test_line_numbers_count_newlines() -> None:
    text = "第一段没有问题。\n第二段：请致电 139 1234 5678 报名。"
    (finding,) = check_post(CheckInput(text)).findings
    assert finding.kind == FindingKind.MOBILE
    assert (finding.line, finding.column) == (2, 9)


def test_landlines_emails_bank_cards_and_addresses() -> None:
    text = (
        "咨询电话：023-49888888；传真（023）49888889；"
        "邮箱 wenlv@example.gov.cn；"
        "捐款账号 6222 0212 3456 7890 128；"
        "住在人民路12号3栋2单元501室的居民。"
    )
    assert kinds(text) == [
        FindingKind.LANDLINE,
        FindingKind.LANDLINE,
        FindingKind.EMAIL,
        FindingKind.BANK_CARD,
        FindingKind.ADDRESS,
    ]


def test_rural_address_with_group_number() -> None:
    assert kinds("家住黄桷村3组27号的村民老李") == [FindingKind.ADDRESS]


def test_non_luhn_long_number_and_dates_are_not_bank_cards() -> None:
    assert not luhn_ok("6222021234567890123")
    assert kinds("流水号6222021234567890123。") == []
    assert looks_like_dates("2026100920261012")
    assert kinds("时间段 2026100920261012 内") == []
    assert kinds("发文日期20261009，时间202610091030。") == []


def test_ordinary_numbers_are_not_findings() -> None:
    text = "全区共接待游客12.5万人次，同比增长8%，实现旅游收入3.2亿元，第1届至第15届。"
    assert kinds(text) == []


def test_advertising_wording() -> None:
    result = check_post(CheckInput("本店全网最低价，限时抢购，扫码购买！"))
    assert [f.match for f in result.findings] == ["全网最低", "限时抢购", "扫码购买"]
    assert all(f.kind == FindingKind.ADVERTISING for f in result.findings)


def test_repost_needs_a_source() -> None:
    assert kinds("转发：秋季森林防火提示", repost=True) == [FindingKind.REPOST_SOURCE]
    assert kinds("转发：秋季森林防火提示", repost=True, source="重庆市应急管理局") == []
    assert kinds("秋季森林防火提示。来源：重庆市应急管理局", repost=True) == []
    assert kinds("原创稿件", repost=False) == []


def test_sensitive_words_are_configurable() -> None:
    result = check_post(CheckInput("关于某某事件的说明"), sensitive_words=["某某事件"])
    (finding,) = result.findings
    assert finding.kind == FindingKind.SENSITIVE
    assert finding.column == 3
    assert "某某事件" in finding.describe()
    assert check_post(CheckInput("关于某某事件的说明")).clean


def test_summary_and_lines() -> None:
    result = check_post(CheckInput("电话13812345678，13912345678"))
    assert result.summary() == "发现手机号2处"
    assert result.lines()[0].startswith("1. 第1行第3字 手机号")


# ---- properties --------------------------------------------------------------------------------

PROSE = st.text(
    alphabet=st.sampled_from(
        "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研质"
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(
    before=PROSE,
    after=PROSE,
    born=st.dates(min_value=date(1930, 1, 1), max_value=date(2020, 12, 31)),
    seq=st.integers(min_value=0, max_value=999),
)
def test_any_valid_id_in_prose_is_found_where_it_is(
    before: str, after: str, born: date, seq: int
) -> None:
    number = make_id("500118", born.strftime("%Y%m%d"), f"{seq:03d}")
    text = before + number + after
    result = check_post(CheckInput(text))
    found = [f for f in result.findings if f.kind == FindingKind.ID_NUMBER]
    assert len(found) == 1
    assert text[found[0].start : found[0].end] == number


@settings(max_examples=200, deadline=None)
@given(
    before=PROSE,
    after=PROSE,
    born=st.dates(min_value=date(1930, 1, 1), max_value=date(2020, 12, 31)),
    seq=st.integers(min_value=0, max_value=999),
    wrong=st.integers(min_value=1, max_value=10),
)
def test_an_id_with_a_wrong_check_digit_is_never_reported(
    before: str, after: str, born: date, seq: int, wrong: int
) -> None:
    first17 = "500118" + born.strftime("%Y%m%d") + f"{seq:03d}"
    right = "10X98765432".index(id_check_digit(first17))
    bad = first17 + "10X98765432"[(right + wrong) % 11]
    result = check_post(CheckInput(before + bad + after))
    assert FindingKind.ID_NUMBER not in [f.kind for f in result.findings]


@settings(max_examples=200, deadline=None)
@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)),
    days=st.integers(min_value=0, max_value=400),
    before=PROSE,
)
def test_date_runs_are_never_personal_data(start: date, days: int, before: str) -> None:
    end = start + timedelta(days=days)
    text = f"{before}{start:%Y%m%d}{end:%Y%m%d}，{start:%Y%m%d}"
    found = check_post(CheckInput(text)).findings
    assert not [f for f in found if f.kind in PERSONAL_DATA]


@settings(max_examples=200, deadline=None)
@given(
    before=PROSE,
    after=PROSE,
    second=st.sampled_from("3456789"),
    rest=st.text("0123456789", min_size=9, max_size=9),
)
def test_any_mobile_number_in_prose_is_found(
    before: str, after: str, second: str, rest: str
) -> None:
    number = "1" + second + rest
    text = before + number + after
    found = check_post(CheckInput(text)).findings
    mobiles = [f for f in found if f.kind in PERSONAL_DATA]
    assert [f.kind for f in mobiles] == [FindingKind.MOBILE]
    assert mobiles[0].match == number
