"""广东省东莞市 — 东府办函〔2021〕152号 (seed 001). Articles are the notice's numbered parts."""

from __future__ import annotations

from bot.policy.presets._build import (
    Data,
    Source,
    calendar_days,
    end_of_working_day,
    level,
    penalty,
    text,
    texts,
)
from bot.policy.presets.default import DONGGUAN
from storage.enums import Role

dg = Source(DONGGUAN)

_FILE_TO = "通过政务新媒体管理系统备案（国务院办公厅、市开普云监管平台两个系统同时备案）"

PRESET: Data = {
    "id": "dongguan",
    "jurisdiction": "广东省东莞市",
    "document": {
        "title": DONGGUAN,
        "number": "东府办函〔2021〕152号",
        "issuer": "东莞市人民政府办公室",
        "issued": "2021-03-25",
        "seed": "001_24e04b7d3d7112f4.txt",
    },
    "deadlines": {
        "filing.open": calendar_days(
            "开设备案时限", 3, when="开设后", what=_FILE_TO, cite=dg("二（一）")
        ),
        "filing.change": calendar_days(
            "变更备案时限", 3, when="变更生效后", what=_FILE_TO, cite=dg("二（一）")
        ),
        "filing.close": calendar_days(
            "关停备案时限", 3, when="关停生效后", what=_FILE_TO, cite=dg("二（一）")
        ),
        "filing.cancel": calendar_days(
            "注销备案时限", 3, when="注销生效后", what=_FILE_TO, cite=dg("二（一）")
        ),
        "filing.cancel_application": end_of_working_day(
            "注销申请时限",
            3,
            when="完成注销后（微信公众号进入冻结期）",
            what="在国办政务新媒体监管平台、市开普云监管平台提交注销申请，并知会市政府办公室",
            cite=dg("二（三）"),
        ),
        "update.max_silence": calendar_days(
            "停更判定",
            14,
            when="最近一次更新后",
            what="再次更新（避免出现2周内无更新）",
            cite=dg("二（四）"),
            extend=False,
        ),
    },
    "review": {
        "levels": {
            "label": "审核层级",
            "citation": dg("三（一）"),
            "levels": [
                level("初审", [Role.EDITOR], "编辑人员负责，确保内容准确、符合网络传播特点"),
                level(
                    "复审",
                    [Role.SECTION_CHIEF],
                    "业务科室负责人负责，确保事实准确、依据合法、行文规范",
                ),
                level(
                    "终审",
                    [Role.PRINCIPAL, Role.DEPUTY_LEADER],
                    "主要领导或指定分管领导负责，评估政治、法律及社会效应风险，决定是否发布",
                ),
            ],
        },
        "checks": texts("把关内容", ["政治", "法律", "社会效应"], dg("三（一）")),
    },
    "filing": {
        "approval": texts(
            "开设审批",
            [
                "镇街（园区）、市直行政机关报市政府办公室审批同意",
                "镇街部门、市直部门下属单位报主管单位审批同意",
            ],
            dg("二（一）"),
        ),
        "recipients": texts(
            "备案报送对象", ["国务院办公厅政务新媒体管理系统", "市开普云监管平台"], dg("二（一）")
        ),
    },
    "accounts": {
        "one_per_platform": text(
            "同一平台账号数",
            "一个单位原则上在同一平台只开设一个账号，只建设一个移动客户端",
            dg("二（一）"),
        ),
        "forbidden_subjects": texts("不得作为账号主体", ["单位内设机构"], dg("二（一）")),
    },
    "duty": {
        "mode": text("值班方式", "安排专人定期检查运行情况", dg("二（四）")),
        "checklist": texts(
            "巡查清单",
            [
                "信息更新是否及时",
                "内容是否准确权威",
                "有无违法有害信息",
                "有无重大舆情",
                "移动客户端能否下载使用",
            ],
            dg("二（四）"),
        ),
        "report_to": texts("舆情报告对象", ["相关部门（重大舆情按程序及时转送）"], dg("二（四）")),
    },
    "content": {
        "forbidden": texts(
            "不得发布的内容",
            [
                "与政府职能没有直接关联的信息",
                "代表个人观点、意见及情绪的言论",
                "商业广告或链接商业广告页面",
                "违反国家有关法律法规的图片或视频",
            ],
            dg("三（二）"),
        ),
        "reposts": text(
            "转载",
            "原则上只转载党委和政府网站及主管部门确定的稿源单位发布的信息，涉市政府政务活动采用统一通稿",
            dg("三（二）"),
        ),
    },
    "penalties": {
        "provincial_circular": penalty(
            "被省府办通报",
            "因内容长期不更新、信息发布不准确、互动回应不及时、管理不规范等被省府办通报",
            "视情况约谈相关单位主要领导或分管领导",
            dg("四（三）"),
        ),
        "circulars_per_year": penalty(
            "年度多次通报",
            "同一政务新媒体同一年度内因突出问题被省、市通报",
            "向主管单位发函，建议关停、注销",
            dg("四（三）"),
            threshold=2,
        ),
    },
    "reporting": text("检查与报告", "定期检查，纳入年度考核", dg("四（三）")),
    "report_cadences": texts("定期报表推送", ["yearly"], dg("四（三）")),
    "platforms": texts("适用平台", ["微博", "微信", "APP"], dg("一")),
}
