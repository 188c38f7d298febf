"""dutybot calendar / policy / deadline, as an admin or supervisor types them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from tests.support.proc import run_dutybot


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


def dutybot(home: Path, *args: str, **env: str) -> Result:
    full_env = {"DUTYBOT_HOME": str(home), "DUTYBOT_POLICY": "default", **env}
    return CliRunner().invoke(main, list(args), env=full_env, catch_exceptions=False)


# ---- calendar ---------------------------------------------------------------------------------


def test_calendar_show_marks_the_national_day_month(home: Path) -> None:
    result = dutybot(home, "calendar", "show", "2026-10")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "2026年10月"
    assert "数据来源：国务院办公厅通知（chinese-calendar 数据）" in result.output
    week = next(line for line in lines if line.lstrip().startswith("5假"))
    assert week.split() == ["5假", "6假", "7假", "8", "9", "10班", "11休"]
    assert "本月工作日 18 天，非工作日 13 天。" in result.output
    assert "放假：10月1日—10月7日 国庆节" in result.output
    assert "调休上班：10月10日（星期六）国庆节调休" in result.output


def test_calendar_show_spring_festival_and_make_up_saturdays(home: Path) -> None:
    result = dutybot(home, "calendar", "show", "2026-02")
    assert "放假：2月15日—2月23日 春节" in result.output
    assert "调休上班：2月14日（星期六）春节调休；2月28日（星期六）春节调休" in result.output


def test_calendar_show_warns_about_a_year_without_data(home: Path) -> None:
    result = dutybot(home, "calendar", "show", "2027-01")
    assert result.exit_code == 0
    assert "数据来源：无数据（按周一至周五推算）" in result.output
    assert "2027年既没有官方节假日数据，也没有录入日历覆盖文件" in result.output
    assert "dutybot calendar template 2027" in result.output


def test_calendar_show_uses_the_override_file(home: Path) -> None:
    template = dutybot(home, "calendar", "template", "2027").output
    assert template.startswith("# 2027年节假日安排")
    filled = (
        '[2027]\nnotice = "国办发明电〔2026〕X号"\n'
        'holidays = [ { name = "元旦", from = 2027-01-01, to = 2027-01-03 } ]\n'
    )
    (home / "calendar.toml").write_text(filled, encoding="utf-8")
    result = dutybot(home, "calendar", "show", "2027-01")
    assert (
        f"数据来源：日历覆盖文件 {home / 'calendar.toml'}（国办发明电〔2026〕X号）" in result.output
    )
    assert "放假：1月1日—1月3日 元旦" in result.output
    check = dutybot(home, "calendar", "check")
    assert "已录入：2027年" in check.output
    assert "2027年：放假 3 天，调休上班 0 天" in check.output


def test_calendar_errors(home: Path) -> None:
    result = dutybot(home, "calendar", "show", "2026-13")
    assert result.exit_code != 0
    assert "月份“2026-13”格式不对" in result.output
    (home / "calendar.toml").write_text("[2027]\nholidays = 3\n", encoding="utf-8")
    broken = dutybot(home, "calendar", "check")
    assert broken.exit_code == 1
    assert "holidays 应是一个列表" in broken.output


# ---- policy -------------------------------------------------------------------------------------


def test_policy_show_kunming(home: Path) -> None:
    result = dutybot(home, "policy", "show", "kunming")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith(
        "政策预设 kunming：云南省昆明市\n依据文件：《昆明市党政群网站及新媒体管理办法》"
    )
    assert "  严重问题整改时限  [deadlines.rectification.serious]\n" in out
    assert "    严重问题：工作时间内30分钟，工作时间外及节假日2小时内完成整改\n" in out
    assert "    出处：《昆明市党政群网站及新媒体管理办法》第十五条\n" in out
    assert "【三审三校】" in out
    # What the document leaves unsaid is shown with its default and said to be so.
    assert "出处：未作规定，沿用默认（《永川区政务新媒体管理办法（试行）》第十二条）" in out


def test_policy_show_defaults_to_the_active_preset_with_overrides(home: Path) -> None:
    overrides = json.dumps({"deadlines.rectification.serious.inside_minutes": 20})
    result = dutybot(
        home, "policy", "show", DUTYBOT_POLICY="kunming", DUTYBOT_POLICY_OVERRIDES=overrides
    )
    assert result.exit_code == 0, result.output
    assert "本单位调整：deadlines.rectification.serious" in result.output
    assert "工作时间内20分钟" in result.output
    assert "出处：本单位设置（原：《昆明市党政群网站及新媒体管理办法》第十五条）" in result.output


def test_policy_diff(home: Path) -> None:
    result = dutybot(home, "policy", "diff", "yongchuan", "dongguan")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "yongchuan（重庆市永川区） 与 dongguan（广东省东莞市）：" in out
    assert "  开设备案时限  [deadlines.filing.open]" in out
    assert "开设后5个工作日内报区政府办公室和区网信办备案" in out
    assert "开设后3日内通过政务新媒体管理系统备案" in out
    assert "出处：《东莞市人民政府办公室关于切实加强全市政务新媒体规范管理的通知》二（一）" in out
    # Values both inherit are not differences.
    assert "[deadlines.rectification.serious]" not in out
    same = dutybot(home, "policy", "diff", "kunming", "kunming")
    assert "其中 0 项不同" in same.output


def test_policy_list_and_errors(home: Path) -> None:
    listed = dutybot(home, "policy", "list", DUTYBOT_POLICY="beibei")
    assert "beibei     重庆市北碚区" in listed.output
    assert "← 当前使用" in listed.output
    unknown = dutybot(home, "policy", "show", "chongqing")
    assert unknown.exit_code == 1
    assert "未知的政策预设“chongqing”" in unknown.output
    bad = dutybot(home, "policy", "show", DUTYBOT_POLICY_OVERRIDES='{"review.reminder_hours": 2}')
    assert bad.exit_code == 1
    assert "“review.reminder_hours”不是可调整的规则项" in bad.output
    not_json = dutybot(home, "policy", "show", DUTYBOT_POLICY_OVERRIDES="2 hours")
    assert not_json.exit_code == 1
    assert "配置有误：DUTYBOT_POLICY_OVERRIDES 的值无法识别" in not_json.output


# ---- deadline -----------------------------------------------------------------------------------


def test_deadline_json(home: Path) -> None:
    result = dutybot(
        home,
        "deadline",
        "rectification.serious",
        "--from",
        "2026-10-09 10:00",
        "--policy",
        "kunming",
        "--json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["due_at"] == "2026-10-09T10:30:00+08:00"
    assert data["provisional"] is False
    assert data["inside_working_hours"] is True
    assert data["explanation"] == (
        "依据《昆明市党政群网站及新媒体管理办法》第十五条：工作时间内严重问题30分钟内完成整改，"
        "截止 10月9日 10:30"
    )


def test_deadline_text_outside_hours(home: Path) -> None:
    result = dutybot(
        home, "deadline", "rectification.ordinary", "--from", "2026-10-03T10:00+08:00",
        "--policy", "kunming",
    )  # fmt: skip
    assert result.output.splitlines() == [
        "规则：rectification.ordinary（一般问题整改时限），政策预设 kunming",
        "起算：2026-10-03 10:00（星期六，工作时间外）",
        "截止：2026-10-03 14:00（星期六）",
        "依据《昆明市党政群网站及新媒体管理办法》第十五条："
        "工作时间外及节假日一般问题4小时内完成整改，截止 10月3日 14:00",
    ]


def test_deadline_provisional_and_civil_midnight(home: Path) -> None:
    result = dutybot(
        home, "deadline", "filing.change", "--from", "2026-12-28", "--policy", "yongchuan", "--json"
    )
    data = json.loads(result.output)
    assert data["due_at"] == "2027-01-04T18:00:00+08:00"
    assert data["provisional"] is True
    assert data["provisional_years"] == [2027]
    text = dutybot(home, "deadline", "filing.open", "--from", "2026-09-30 10:00", "--policy",
                   "dongguan")  # fmt: skip
    assert "截止：2026-10-08 24:00（星期四）" in text.output
    assert text.output.rstrip().endswith("截止 10月8日 24:00")


def test_deadline_list(home: Path) -> None:
    result = dutybot(home, "deadline", "--list", "--policy", "beibei")
    assert result.output.startswith("政策预设 beibei（重庆市北碚区）的期限规则：")
    assert "error_report.forward" in result.output
    assert "出处：《重庆市北碚区政府网站和政务新媒体管理办法》第五章" in result.output
    listed = json.loads(dutybot(home, "deadline", "--list", "--json").output)
    assert {r["rule"] for r in listed} >= {"filing.open", "rectification.serious", "alert.ack"}


def test_deadline_errors(home: Path) -> None:
    unknown = dutybot(home, "deadline", "rectification.urgent", "--from", "2026-10-09")
    assert unknown.exit_code == 1
    assert "没有期限规则“rectification.urgent”" in unknown.output
    bad = dutybot(home, "deadline", "handover.ack", "--from", "明天上午")
    assert bad.exit_code == 1
    assert "起算时间“明天上午”无法识别" in bad.output
    missing = dutybot(home, "deadline")
    assert missing.exit_code == 1
    assert "dutybot deadline --list" in missing.output


# ---- start-up -----------------------------------------------------------------------------------


@pytest.mark.slow
async def test_worker_refuses_to_start_with_an_unknown_preset(
    home: Path, db_url: str, redis_url: str
) -> None:
    env = {
        "DUTYBOT_HOME": str(home),
        "DUTYBOT_DATABASE_URL": db_url,
        "DUTYBOT_REDIS_URL": redis_url,
        "DUTYBOT_POLICY": "kunmin",
    }
    done = await run_dutybot("worker", env=env, limit_seconds=60)
    assert done.returncode == 1
    assert "未知的政策预设“kunmin”" in done.stderr
    env["DUTYBOT_POLICY"] = "kunming"
    env["DUTYBOT_POLICY_OVERRIDES"] = '{"deadlines.rectification.serious.inside_minutes": -5}'
    done = await run_dutybot("worker", env=env, limit_seconds=60)
    assert done.returncode == 1
    assert "deadlines.rectification.serious.inside_minutes 数值太小" in done.stderr
