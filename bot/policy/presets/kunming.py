"""云南省昆明市 —《昆明市党政群网站及新媒体管理办法》(seed 002), the 8-working-hour rule."""

from __future__ import annotations

from bot.policy.presets._build import Data, Source, by_working_hours, penalty, text, texts
from bot.policy.presets.default import KUNMING

km = Source(KUNMING)

PRESET: Data = {
    "id": "kunming",
    "jurisdiction": "云南省昆明市",
    "document": {
        "title": KUNMING,
        "issuer": "中共昆明市委网络安全和信息化委员会办公室",
        "issued": "约2021年",
        "seed": "002_d8650e4dea8041c7.txt",
    },
    # The document speaks of "8 小时工作时间" without naming the blocks: the blocks are the
    # default ones, which a deployment can override.
    "working_hours": {
        "label": "工作时间（8小时）",
        "blocks": [["08:30", "12:00"], ["13:30", "18:00"]],
        "citation": km("第十五条"),
    },
    "deadlines": {
        "rectification.ordinary": by_working_hours(
            "一般问题整改时限", 60, 240, when="一般问题", what="完成整改", cite=km("第十五条")
        ),
        "rectification.serious": by_working_hours(
            "严重问题整改时限", 30, 120, when="严重问题", what="完成整改", cite=km("第十五条")
        ),
    },
    "review": {
        "checks": texts("把关内容", ["政治", "法律", "政策", "保密", "文字"], km("第十二条")),
    },
    "filing": {
        "approval": texts(
            "开设登记",
            [
                "在昆明市党政群网站及新媒体信息备案登记系统动态登记开设、变更、注销及管理编辑人员信息"
            ],
            km("第九条"),
        ),
        "recipients": texts(
            "备案报送对象", ["昆明市党政群网站及新媒体信息备案登记系统"], km("第九条")
        ),
    },
    "lifecycle": {
        "closure": text(
            "关停注销程序",
            "主办单位向市委网信办提出关停申请，批准后向社会公告，及时注销账号，同步更新备案信息",
            km("第十条"),
        ),
    },
    "accounts": {
        "naming": text(
            "命名",
            "符合《互联网用户账号名称管理规定》，简洁、直观、规范，不同平台名称原则上保持一致",
            km("第八条"),
        ),
    },
    "duty": {
        "mode": text("值班方式", "24小时应急响应，做好日常巡查巡检", km("第十四条")),
        "checklist": texts("巡查清单", ["整体运行情况", "信息内容差错"], km("第十五条")),
        "report_to": texts("舆情报告对象", ["相关部门（重大舆情按程序转送）"], km("第十四条")),
    },
    "content": {
        "forbidden": texts(
            "不得发布的内容",
            [
                "代表个人观点、意见及情绪的言论",
                "与政府职能没有直接关联的信息",
                "商业广告或链接商业广告页面",
            ],
            km("第十二条"),
        ),
        "reposts": text(
            "转载",
            "原则上只转载党委和政府网站以及有关部门确定的稿源单位发布的信息，保证来源可追溯",
            km("第十二条"),
        ),
    },
    "penalties": {
        "quarterly_letter": penalty(
            "季度整改函",
            "日常巡查数据错误率高、长期不发布、运维不认真、制度不健全、落实不得力、群众不满意",
            "市委网信办每季度印发工作整改函",
            km("第十九条"),
        ),
        "no_improvement": penalty(
            "整改后仍无改善",
            "收到整改函后下季度仍无明显改善",
            "在一定范围内通报",
            km("第十九条"),
            threshold=1,
        ),
    },
    "reporting": text(
        "检查与报告", "日常监测，每季度对问题单位印发整改函", km("第十五条、第十九条")
    ),
    "report_cadences": texts("定期报表推送", ["quarterly"], km("第十九条")),
    "platforms": texts("适用平台", ["微博", "微信", "抖音", "客户端", "网站"], km("第二条")),
}
