"""The ``default`` preset: every value a jurisdiction's document may leave unsaid.

Where one of the five regulations states a number, the default follows it and says which
(``参照《…》…``); the remaining values (review reminders, handover and alert escalation,
reminder schedules) are product defaults drawn from how the offices work
(the office stories summarised in docs/decisions/time.md). docs/decisions/time.md gives the reasons.
"""

from __future__ import annotations

from bot.policy.presets._build import (
    Data,
    by_working_hours,
    calendar_days,
    calendar_months,
    duration,
    end_of_working_day,
    level,
    number,
    penalty,
    product_default,
    text,
    texts,
    working_hours,
)
from storage.enums import Role

YONGCHUAN = "永川区政务新媒体管理办法（试行）"
DONGGUAN = "东莞市人民政府办公室关于切实加强全市政务新媒体规范管理的通知"
KUNMING = "昆明市党政群网站及新媒体管理办法"
JIAXIAN = "佳县政务新媒体管理办法"
BEIBEI = "重庆市北碚区政府网站和政务新媒体管理办法"

D = product_default

REVIEW_REMIND = working_hours(
    "审核提醒", 4, when="送达审核人后", what="未处理则提醒审核人", cite=D()
)
REVIEW_ESCALATE = working_hours(
    "审核催办", 8, when="送达审核人后", what="仍未处理则催办并告知送审人", cite=D()
)
ALERT_ACK = duration("告警确认时限", 5, when="告警发出后", what="确认，否则通知值班长", cite=D())
ALERT_ESCALATE = duration(
    "告警升级时限", 15, when="告警发出后", what="仍未确认则通知单位主要负责人", cite=D()
)
ALERT_SUPERVISE = duration(
    "告警上报时限", 30, when="告警发出后", what="仍未确认则通知主管单位", cite=D()
)


def _step(name: str, label: str, **anchor: object) -> Data:
    return {"name": name, "label": label, **anchor}


PRESET: Data = {
    "id": "default",
    "jurisdiction": "通用",
    "document": {"title": "dutybot 默认规则", "issuer": "dutybot"},
    "working_hours": {
        "label": "工作时间",
        "blocks": [["08:30", "12:00"], ["13:30", "18:00"]],
        "citation": D(),
    },
    "deadlines": {
        "filing.open": end_of_working_day(
            "开设备案时限", 5, when="开设后", what="向主管单位备案", cite=D(YONGCHUAN, "第十二条")
        ),
        "filing.change": end_of_working_day(
            "变更备案时限", 5, when="变更后", what="向主管单位备案", cite=D(YONGCHUAN, "第十二条")
        ),
        "filing.close": end_of_working_day(
            "关停备案时限", 5, when="关停后", what="向主管单位备案", cite=D(YONGCHUAN, "第十二条")
        ),
        "filing.cancel": end_of_working_day(
            "注销备案时限", 5, when="注销后", what="向主管单位备案", cite=D(YONGCHUAN, "第十二条")
        ),
        "filing.cancel_application": end_of_working_day(
            "注销认证信息申请时限",
            5,
            when="完成注销后",
            what="在政务新媒体信息报送系统申请注销认证信息",
            cite=D(),
        ),
        "change.complete": calendar_months(
            "变更、关停、注销办理时限",
            1,
            when="经同意后",
            what="向平台提出申请并办理完成",
            cite=D(YONGCHUAN, "第十一条"),
        ),
        "notice.change": end_of_working_day(
            "变更、关停、注销公告期",
            15,
            when="",
            what="在首页显著位置向社会公告",
            cite=D(YONGCHUAN, "第十一条"),
            at_least=True,
        ),
        "notice.close": calendar_days(
            "关停公告期",
            30,
            when="",
            what="关停迁移公告在首页显著位置保留",
            cite=D(JIAXIAN, "第八条（四）"),
            at_least=True,
        ),
        "notice.open": calendar_days(
            "开通公告期",
            30,
            when="",
            what="开通公告在首页显著位置保留",
            cite=D(JIAXIAN, "第七条（五）"),
            at_least=True,
        ),
        "golive.after_approval": calendar_months(
            "批准后上线时限",
            6,
            when="批准开设后",
            what="上线正式运行",
            cite=D(JIAXIAN, "第七条（五）"),
        ),
        "suspend.max_duration": calendar_days(
            "临时下线时长上限",
            30,
            when="临时下线后",
            what="恢复上线",
            cite=D(JIAXIAN, "第八条（一）"),
            extend=False,
        ),
        "rectification.ordinary": by_working_hours(
            "一般问题整改时限",
            60,
            240,
            when="一般问题",
            what="完成整改",
            cite=D(KUNMING, "第十五条"),
        ),
        "rectification.serious": by_working_hours(
            "严重问题整改时限",
            30,
            120,
            when="严重问题",
            what="完成整改",
            cite=D(KUNMING, "第十五条"),
        ),
        "error_report.forward": end_of_working_day(
            "网民纠错转办时限",
            1,
            when="收到网民纠错意见后",
            what="转有关主办单位办理",
            cite=D(BEIBEI, "第五章"),
        ),
        "error_report.reply": end_of_working_day(
            "网民纠错办结时限",
            2,
            when="收到网民纠错意见后",
            what="完成处理并回复",
            cite=D(BEIBEI, "第五章"),
        ),
        "message.reply": end_of_working_day(
            "网民留言答复时限",
            5,
            when="收到网民留言后",
            what="答复（力争当日有效回复）",
            cite=D(JIAXIAN, "第十条（四）"),
        ),
        "review.remind": REVIEW_REMIND,
        "review.escalate": REVIEW_ESCALATE,
        "handover.ack": duration(
            "交接班确认时限", 15, when="交班后", what="确认接班，否则通知值班长", cite=D()
        ),
        "handover.remind": duration(
            "接班提醒提前量", 30, when="接班前", what="提醒接班人", cite=D()
        ),
        "handover.prepare": duration(
            "交班清单提前量", 15, when="交班前", what="把预填的交班清单发给交班人", cite=D()
        ),
        "alert.ack": ALERT_ACK,
        "alert.ack.serious": duration(
            "严重告警确认时限", 3, when="严重告警发出后", what="确认，否则通知值班长", cite=D()
        ),
        "alert.ack.opinion": duration(
            "舆情告警确认时限", 3, when="舆情告警发出后", what="确认，否则通知值班长", cite=D()
        ),
        "alert.escalate": ALERT_ESCALATE,
        "alert.supervise": ALERT_SUPERVISE,
        "update.max_silence": calendar_days(
            "停更判定",
            14,
            when="最近一次更新后",
            what="再次更新，否则判为不合格",
            cite=D(JIAXIAN, "第十条（二）"),
            extend=False,
        ),
        # The regulations require the handover but give no time: five working days is ours.
        "leaving.handover": end_of_working_day(
            "离岗交接时限",
            5,
            when="人员离岗或调岗后",
            what="完成工作移交、保密承诺和口令更换",
            cite=D(YONGCHUAN, "第二十二条"),
        ),
    },
    "schedules": {
        "rectification": {
            "label": "整改提醒",
            "citation": D(),
            "steps": [
                _step("half", "时限过半提醒", fraction=0.5),
                _step("late", "临近截止提醒", fraction=0.8),
                _step("due", "到期", after_due_minutes=0),
                _step("overdue", "超时催办", after_due_minutes=60, every_minutes=60),
            ],
        },
        "filing": {
            "label": "备案提醒",
            "citation": D(),
            "steps": [
                _step("half", "时限过半提醒", fraction=0.5),
                _step("late", "临近截止提醒", fraction=0.8),
                _step("due", "到期", after_due_minutes=0),
                _step("overdue", "超期催办", after_due_minutes=24 * 60, every_minutes=24 * 60),
            ],
        },
        "reply": {
            "label": "答复提醒",
            "citation": D(),
            "steps": [
                _step("late", "临近截止提醒", fraction=0.8),
                _step("due", "到期", after_due_minutes=0),
                _step("overdue", "超期催办", after_due_minutes=24 * 60, every_minutes=24 * 60),
            ],
        },
        "review": {
            "label": "审核提醒",
            "citation": D(),
            "steps": [
                _step("remind", "提醒审核人", rule=REVIEW_REMIND),
                _step("escalate", "催办", after_due_minutes=0),
            ],
        },
        "handover": {
            "label": "交接班提醒",
            "citation": D(),
            # Before the change the steps come from handover.remind / handover.prepare;
            # these follow the acknowledgement deadline (handover.ack) until acknowledged.
            "steps": [
                _step("lead", "通知值班长", after_due_minutes=0),
                _step("head", "通知单位负责人", after_due_minutes=15),
                _step("renotify", "再次提醒", after_due_minutes=30, every_minutes=15),
            ],
        },
        "alert": {
            "label": "告警提醒",
            "citation": D(),
            "steps": [
                _step("duty_lead", "通知值班长", after_due_minutes=0),
                _step("unit_head", "通知单位主要负责人", rule=ALERT_ESCALATE),
                _step("supervisor", "通知主管单位", rule=ALERT_SUPERVISE),
                _step("renotify", "再次提醒", after_due_minutes=5, every_minutes=5),
            ],
        },
        "notice": {
            "label": "公告期提醒",
            "citation": D(),
            "steps": [_step("due", "公告期届满", after_due_minutes=0)],
        },
        "leaving": {
            "label": "离岗交接提醒",
            "citation": D(),
            "steps": [
                _step("half", "时限过半提醒", fraction=0.5),
                _step("due", "到期", after_due_minutes=0),
                _step("overdue", "超期催办", after_due_minutes=24 * 60, every_minutes=24 * 60),
            ],
        },
    },
    "escalations": {
        "handover": {
            "label": "交接班未确认",
            "citation": D(),
            "steps": [{"after": "handover.ack", "notify": [Role.DUTY_LEAD.value]}],
        },
        "alert": {
            "label": "告警未确认",
            "citation": D(),
            "steps": [
                {"after": "alert.ack", "notify": [Role.DUTY_LEAD.value]},
                {"after": "alert.escalate", "notify": [Role.PRINCIPAL.value]},
                {"after": "alert.supervise", "notify": [Role.SUPERVISOR_STAFF.value]},
            ],
        },
        "rectification": {
            "label": "整改超时",
            "citation": D(),
            "steps": [{"after": "due", "notify": [Role.PRINCIPAL.value]}],
        },
    },
    "review": {
        "levels": {
            "label": "审核层级",
            "citation": D(YONGCHUAN, "第十四条"),
            "levels": [
                level("初审", [Role.SECTION_CHIEF], "初审初校"),
                level("复审", [Role.DEPUTY_LEADER], "复审复校"),
                level("终审", [Role.PRINCIPAL], "终审终校"),
            ],
        },
        "checks": texts(
            "把关内容", ["政治", "法律", "政策", "保密", "文字"], D(YONGCHUAN, "第十四条")
        ),
        "separate_reviewer": text("审核与编辑分设", "审核人不得审核自己编辑的稿件", D()),
        "extra_approval": text("额外审批", "无", D()),
    },
    "filing": {
        "approval": texts(
            "开设审批", ["本单位主要负责人同意", "主管单位审批"], D(YONGCHUAN, "第七条")
        ),
        "attachments": texts("申请附件", [], D()),
        "recipients": texts("备案报送对象", ["主管单位"], D()),
        "form": text("备案表", "政务新媒体备案登记表", D(JIAXIAN, "附件")),
        "types": texts("备案类型", ["开设", "变更", "关停", "注销"], D(JIAXIAN, "附件")),
    },
    "lifecycle": {
        "temporary_offline_per_year": number(
            "每年临时下线次数上限", 1, "次", D(JIAXIAN, "第八条（一）")
        ),
        "temporary_offline_approval": text(
            "临时下线审批",
            "主办单位申请，经批准后方可临时下线，并发布公告",
            D(JIAXIAN, "第八条（一）"),
        ),
        "emergency_shutdown": text(
            "紧急关停",
            "因不可抗力或被责令紧急关停的，及时书面报备，不计入临时下线次数",
            D(JIAXIAN, "第八条（二）"),
        ),
        "exit_supervision": text(
            "退出监管",
            "主办单位不再具备行政职能的，附编制部门批复文件提出申请，逐级审核同意后退出监管",
            D(JIAXIAN, "第八条（三）"),
        ),
        "closure": text(
            "关停注销程序",
            "主办单位申请，经批准后发布公告、迁移内容、注销账号，并更新备案信息",
            D(),
        ),
    },
    "accounts": {
        "one_per_platform": text(
            "同一平台账号数",
            "一个单位原则上在同一平台只开设一个政务新媒体账号",
            D(YONGCHUAN, "第七条"),
        ),
        "forbidden_subjects": texts(
            "不得作为账号主体", ["单位内设机构", "个人"], D(YONGCHUAN, "第七条")
        ),
        "naming": text(
            "命名",
            "名称简洁规范，与职责相关联，标明主办单位，不同平台名称保持一致",
            D(YONGCHUAN, "第八条"),
        ),
    },
    "activity": {
        "min_posts_per_week": number("每周最少更新次数", 1, "次", D(YONGCHUAN, "第十八条")),
        "warn_days_before": number("停更预警提前天数", 3, "天", D()),
        "silence_consequence": text(
            "停更后果", "超过停更判定期限未更新的，判为不合格", D(JIAXIAN, "第十条（二）")
        ),
    },
    "duty": {
        "mode": text("值班方式", "24小时值班读网巡查", D(YONGCHUAN, "第二十条")),
        "checklist": texts(
            "巡查清单",
            [
                "页面能否正常访问",
                "各栏目内容是否及时更新",
                "信息发布审核和保密机制是否到位",
                "各项服务和互动功能是否正常",
            ],
            D(YONGCHUAN, "第二十条"),
        ),
        "report_to": texts("舆情报告对象", ["主管单位"], D()),
    },
    "content": {
        "forbidden": texts(
            "不得发布的内容",
            [
                "国家秘密和工作秘密",
                "政治、外事活动敏感信息",
                "社会稳定类信息",
                "未经决议的行政管理事项（公开征集意见的除外）",
                "个人隐私和商业秘密（身份证号、手机号、详细住址、病种伤残详情等）",
                "法律法规规定不宜公开的其他信息",
            ],
            D(YONGCHUAN, "第十七条"),
        ),
        "reposts": text(
            "转载",
            "注明来源，原则上只转载党委和政府网站及主管单位确定的稿源单位发布的信息",
            D(YONGCHUAN, "第十六条"),
        ),
    },
    "penalties": {
        "rectification_overdue": penalty(
            "整改逾期",
            "整改通知逾期未完成",
            "通知主办单位主要负责人，纳入通报",
            D(),
        ),
    },
    "reporting": text("检查与报告", "定期检查并通报", D()),
    "report_cadences": texts("定期报表推送", ["quarterly"], D()),
    "personnel": texts(
        "人员离岗手续", ["工作移交", "保密承诺", "口令更换"], D(YONGCHUAN, "第二十二条")
    ),
    "platforms": texts("适用平台", ["微信", "微博", "抖音", "客户端", "网站", "其他"], D()),
}
