"""陕西省佳县 — 佳政办发〔2024〕27号《佳县政务新媒体管理办法》(seed 003)."""

from __future__ import annotations

from bot.policy.presets._build import (
    Data,
    Source,
    calendar_days,
    calendar_months,
    end_of_working_day,
    number,
    penalty,
    text,
    texts,
)
from bot.policy.presets.default import JIAXIAN

jx = Source(JIAXIAN)

PRESET: Data = {
    "id": "jiaxian",
    "jurisdiction": "陕西省佳县",
    "document": {
        "title": JIAXIAN,
        "number": "佳政办发〔2024〕27号",
        "issuer": "佳县人民政府办公室",
        "issued": "2024-06-24",
        "seed": "003_118dc5097e82e3bf.txt",
    },
    "deadlines": {
        "filing.change": end_of_working_day(
            "信息变更报备时限",
            2,
            when="主办单位、负责同志、联系方式、栏目主体结构等信息变更后",
            what="向县政务信息化服务中心书面报备",
            cite=jx("第八条（五）"),
        ),
        "notice.open": calendar_days(
            "开通公告期",
            30,
            when="",
            what="开通公告在首页显著位置悬挂",
            cite=jx("第七条（五）"),
            at_least=True,
        ),
        "notice.close": calendar_days(
            "关停公告期",
            30,
            when="",
            what="关停迁移公告在首页显著位置悬挂",
            cite=jx("第八条（四）"),
            at_least=True,
        ),
        "golive.after_approval": calendar_months(
            "批准后上线时限",
            6,
            when="经省政府办公厅同意开设后",
            what="上线正式运行",
            cite=jx("第七条（五）"),
        ),
        "suspend.max_duration": calendar_days(
            "临时下线时长上限",
            30,
            when="临时下线后",
            what="恢复上线",
            cite=jx("第八条（一）"),
            extend=False,
        ),
        "message.reply": end_of_working_day(
            "网民留言答复时限",
            5,
            when="收到网民留言后",
            what="答复（力争当日有效回复）",
            cite=jx("第十条（四）"),
        ),
        "update.max_silence": calendar_days(
            "停更判定",
            14,
            when="最近一次更新后",
            what="再次更新（连续超过14天不更新判为不合格）",
            cite=jx("第十条（二）"),
            extend=False,
        ),
    },
    "review": {
        "checks": texts("把关内容", ["政治", "法律", "政策", "保密", "文字"], jx("第十条（一）")),
        "separate_reviewer": text(
            "审核与编辑分设",
            "信息审核人员须与编辑发布人员分设，审核人员对审核过的文稿再次校对",
            jx("第十条（一）"),
        ),
    },
    "filing": {
        "approval": texts(
            "开设审批",
            ["本单位主要负责人同意", "向县政务信息化服务中心申请", "逐级审核", "省政府办公厅批准"],
            jx("第七条（二）（三）"),
        ),
        "attachments": texts(
            "申请附件",
            ["实施方案（组织领导、经费保障、管理制度、联系人及联系方式）"],
            jx("第七条（二）"),
        ),
        "recipients": texts(
            "备案报送对象",
            ["县政务信息化服务中心", "全国政务新媒体信息报送系统"],
            jx("第七条（四）"),
        ),
        "form": text("备案表", "佳县政府系统政务新媒体备案表", jx("附件")),
        "types": texts("备案类型", ["开设", "变更", "关停", "注销"], jx("附件")),
    },
    "lifecycle": {
        "temporary_offline_per_year": number("每年临时下线次数上限", 1, "次", jx("第八条（一）")),
        "temporary_offline_approval": text(
            "临时下线审批",
            "主办单位向县政务信息化服务中心申请，逐级审核，经省政府办公厅同意后方可临时下线，并发布公告",
            jx("第八条（一）"),
        ),
        "emergency_shutdown": text(
            "紧急关停",
            "因不可抗力或被责令紧急关停的，及时书面报备县政务信息化服务中心，不计入当年临时下线次数",
            jx("第八条（二）"),
        ),
        "exit_supervision": text(
            "退出监管",
            "不再具备行政职能的，附编制部门批复文件申请，逐级审核，经国务院办公厅同意后退出监管",
            jx("第八条（三）"),
        ),
        "closure": text(
            "关停注销程序",
            "主办单位申请，逐级审核，经省政府办公厅同意后启动；原有内容整合迁移，公告至少保留30天，"
            "关停注销后申请注销认证信息",
            jx("第八条（四）"),
        ),
    },
    "accounts": {
        "one_per_platform": text(
            "同一平台账号数",
            "一个单位原则上在同一新媒体平台只开设一个政务新媒体账号",
            jx("第七条（一）"),
        ),
        "forbidden_subjects": texts(
            "不得作为账号主体", ["单位内设机构", "个人"], jx("第七条（一）")
        ),
        "naming": text(
            "命名",
            "简洁规范，与主办单位职责相关联，标明主办单位，不同平台名称原则上保持一致",
            jx("第七条（一）"),
        ),
    },
    "activity": {
        "min_posts_per_week": number("每周最少更新次数", 2, "次", jx("第十条（二）")),
        "silence_consequence": text(
            "停更后果", "连续超过14天不更新判为不合格政务新媒体", jx("第十条（二）")
        ),
    },
    "duty": {
        "mode": text("值班方式", "24小时值班，专人每日巡检", jx("第十条（三）")),
        "checklist": texts(
            "巡查清单",
            ["整体运行情况", "链接可用情况", "栏目更新情况", "信息内容质量"],
            jx("第十条（三）"),
        ),
    },
    "content": {
        "forbidden": texts(
            "不得发布的内容",
            ["代表个人观点、意见及情绪的言论", "商业广告或链接商业广告页面"],
            jx("第十条（一）"),
        ),
        "reposts": text(
            "转载",
            "原则上只转载党委和政府网站以及有关主管部门确定的稿源单位发布的信息",
            jx("第十条（一）"),
        ),
    },
    "penalties": {
        "unqualified": penalty(
            "不合格或整改不力",
            "擅自开设、关停，被认定为不合格，或问题整改不积极不到位",
            "责令限期整改并全县通报批评",
            jx("第十七条"),
        ),
        "bottom_three": penalty(
            "连续排名后三位",
            "季度通报中连续排名后三位或被通报为不合格等次",
            "约谈、责令暂时或永久关停",
            jx("第十七条"),
            threshold=2,
        ),
    },
    "reporting": text("检查与报告", "日监测读网、月检查通报、季公开、年度考核", jx("第十五条")),
    "report_cadences": texts("定期报表推送", ["monthly", "quarterly", "yearly"], jx("第十五条")),
    "platforms": texts("适用平台", ["微博", "微信", "抖音", "客户端", "其他"], jx("第二条、附件")),
}
