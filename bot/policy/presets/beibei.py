"""重庆市北碚区 — 北碚府办发〔2023〕2号 (seed 004). Its articles are unnumbered: chapters cited."""

from __future__ import annotations

from bot.policy.presets._build import (
    Data,
    Source,
    calendar_days,
    end_of_working_day,
    number,
    penalty,
    product_default,
    text,
    texts,
)
from bot.policy.presets.default import BEIBEI

bb = Source(BEIBEI)

PRESET: Data = {
    "id": "beibei",
    "jurisdiction": "重庆市北碚区",
    "document": {
        "title": BEIBEI,
        "number": "北碚府办发〔2023〕2号",
        "issuer": "重庆市北碚区人民政府办公室",
        "issued": "2023-01-09",
        "seed": "004_aab410e61f211841.txt",
    },
    "deadlines": {
        # 第七章 requires the handover on 人员调离 but gives no time: the product's five days.
        "leaving.handover": end_of_working_day(
            "离岗交接时限",
            5,
            when="人员调离后",
            what="完成工作移交、保密承诺和口令更换",
            cite=product_default(BEIBEI, "第七章"),
        ),
        "error_report.forward": end_of_working_day(
            "网民纠错转办时限",
            1,
            when="收到网民纠错意见后",
            what="转有关网站主办单位办理",
            cite=bb("第五章"),
        ),
        "error_report.reply": end_of_working_day(
            "网民纠错办结时限",
            2,
            when="收到网民纠错意见后",
            what="完成处理并回复",
            cite=bb("第五章"),
        ),
        "notice.close": calendar_days(
            "关停公告期",
            30,
            when="",
            what="整合迁移公告保留",
            cite=bb("第三章"),
            at_least=True,
        ),
        "suspend.max_duration": calendar_days(
            "临时下线时长上限",
            30,
            when="临时下线后",
            what="恢复上线",
            cite=bb("第三章"),
            extend=False,
        ),
    },
    "review": {
        "checks": texts("把关内容", ["政治", "法律", "政策", "保密", "文字", "舆情"], bb("第五章")),
        "extra_approval": text(
            "额外审批",
            "发布区级重大公共政策信息，应报区委、区政府同意，征求上级主管部门意见，研判舆情风险",
            bb("第五章"),
        ),
    },
    "filing": {
        "approval": texts(
            "开设审批",
            ["本单位主要负责人同意", "报区政府办公室批准", "向区委网信办报备"],
            bb("第四章"),
        ),
        "recipients": texts(
            "备案报送对象",
            ["区政府办公室", "区委网信办", "全国政务新媒体信息报送系统"],
            bb("第四章"),
        ),
    },
    "lifecycle": {
        "temporary_offline_per_year": number("每年临时下线次数上限", 1, "次", bb("第三章")),
        "temporary_offline_approval": text(
            "临时下线审批",
            "主办单位申请，经区政府办公室审核并报市政府办公厅批准后方可临时下线，并发布公告",
            bb("第三章"),
        ),
        "emergency_shutdown": text(
            "紧急关停",
            "因不可抗因素或被责令紧急下线的，及时以书面形式报备，不计入当年下线次数",
            bb("第三章"),
        ),
        "closure": text(
            "关停注销程序",
            "经本单位主要负责人同意，报区政府办公室批准，向区委网信办报备，按程序注销认证信息并向社会公告",
            bb("第四章"),
        ),
    },
    "accounts": {
        "one_per_platform": text(
            "同一平台账号数", "原则上一个单位在同一平台只保留一个政务新媒体账号", bb("第四章")
        ),
        "naming": text(
            "命名",
            "简洁规范，与主办单位职责相关联，标明主办单位，不同平台名称原则上保持一致",
            bb("第四章"),
        ),
    },
    "duty": {
        "mode": text("值班方式", "“7×24”小时值班读网", bb("第六章")),
        "checklist": texts("巡查清单", ["舆情风险和动向"], bb("第六章")),
        "report_to": texts("舆情报告对象", ["区政府办公室", "区委网信办"], bb("第六章")),
    },
    "content": {
        "reposts": text(
            "转载",
            "必须注明转载来源，不得歪曲篡改，原则上只转载党政机关和权威媒体发布的信息",
            bb("第五章"),
        ),
    },
    "penalties": {
        "circular": penalty(
            "通报问责",
            "抽查不合格、未按要求备案、信息发布不及时不规范、未及时整改等第八章所列情形",
            "区政府办公室通报主办单位；造成严重后果的，问责分管负责人和有关责任人",
            bb("第八章"),
        ),
    },
    "reporting": text("检查与报告", "常态化检查，按季度形成检查报告", bb("第八章")),
    "report_cadences": texts("定期报表推送", ["quarterly"], bb("第八章")),
    "personnel": texts("人员离岗手续", ["工作移交", "保密承诺", "口令更换"], bb("第七章")),
    "platforms": texts("适用平台", ["微信", "微博", "抖音", "客户端", "网站"], bb("第一章")),
}
