"""重庆市永川区 — 永川府办发〔2021〕30号《永川区政务新媒体管理办法（试行）》(seed 000)."""

from __future__ import annotations

from bot.policy.presets._build import (
    Data,
    Source,
    calendar_days,
    calendar_months,
    end_of_working_day,
    level,
    number,
    penalty,
    text,
    texts,
)
from bot.policy.presets.default import YONGCHUAN
from storage.enums import Role

yc = Source(YONGCHUAN)

_FILE_TO = "报区政府办公室和区网信办备案"

PRESET: Data = {
    "id": "yongchuan",
    "jurisdiction": "重庆市永川区",
    "document": {
        "title": YONGCHUAN,
        "number": "永川府办发〔2021〕30号",
        "issuer": "重庆市永川区人民政府办公室",
        "issued": "2021-04-06",
        "seed": "000_c68b6396fb4da171.txt",
    },
    "deadlines": {
        "filing.open": end_of_working_day(
            "开设备案时限", 5, when="开设后", what=_FILE_TO, cite=yc("第十二条")
        ),
        "filing.change": end_of_working_day(
            "变更备案时限", 5, when="变更后", what=_FILE_TO, cite=yc("第十二条")
        ),
        "filing.close": end_of_working_day(
            "关停备案时限", 5, when="关停后", what=_FILE_TO, cite=yc("第十二条")
        ),
        "filing.cancel": end_of_working_day(
            "注销备案时限", 5, when="注销后", what=_FILE_TO, cite=yc("第十二条")
        ),
        "change.complete": calendar_months(
            "变更、关停、注销办理时限",
            1,
            when="经主办单位集体研究或主要领导同意后",
            what="向平台提出申请并办理完成",
            cite=yc("第十一条"),
        ),
        "notice.change": end_of_working_day(
            "变更、关停、注销公告期",
            15,
            when="",
            what="在首页显著位置向社会公告",
            cite=yc("第十一条"),
            at_least=True,
        ),
        "notice.close": end_of_working_day(
            "关停公告期",
            15,
            when="",
            what="在首页显著位置向社会公告",
            cite=yc("第十一条"),
            at_least=True,
        ),
        "update.max_silence": calendar_days(
            "停更判定",
            7,
            when="最近一次更新后",
            what="再次更新（每周更新不少于1次）",
            cite=yc("第十八条"),
            extend=False,
        ),
    },
    "review": {
        "levels": {
            "label": "审核层级",
            "citation": yc("第十四条"),
            "levels": [
                level("初审", [Role.SECTION_CHIEF], "科室负责人初审初校"),
                level("复审", [Role.DEPUTY_LEADER], "分管领导复审复校"),
                level("终审", [Role.PRINCIPAL], "主要领导终审终校"),
            ],
        },
        "checks": texts("把关内容", ["政治", "法律", "政策", "保密", "文字"], yc("第十四条")),
    },
    "filing": {
        "approval": texts(
            "开设审批",
            ["本单位主要负责人同意", "向区政府办公室申请并经审批"],
            yc("第七条、第十二条"),
        ),
        "recipients": texts(
            "备案报送对象",
            ["区政府办公室", "区网信办", "全国政务新媒体报送系统"],
            yc("第十二条"),
        ),
        "form": text("备案表", "永川区政务新媒体备案登记表", yc("第十二条")),
    },
    "lifecycle": {
        "closure": text(
            "关停注销程序",
            "经主办单位集体研究或主要领导同意，自行向平台申请，1个月内完成并公告不少于15个工作日；"
            "关停注销后在全国政务新媒体报送系统申请注销认证信息",
            yc("第十一条、第十二条"),
        ),
    },
    "accounts": {
        "one_per_platform": text(
            "同一平台账号数",
            "一个单位原则上在同一新媒体平台只开设一个政务新媒体账号",
            yc("第七条"),
        ),
        "forbidden_subjects": texts("不得作为账号主体", ["单位内设机构", "个人"], yc("第七条")),
        "naming": text(
            "命名",
            "简洁规范，与主办单位职责相关联，标明主办单位，不同平台名称保持一致",
            yc("第八条"),
        ),
    },
    "activity": {
        "min_posts_per_week": number("每周最少更新次数", 1, "次", yc("第十八条")),
    },
    "duty": {
        "mode": text("值班方式", "24小时值班“读网巡查”", yc("第二十条")),
        "checklist": texts(
            "巡查清单",
            [
                "页面能否正常访问",
                "各栏目内容是否及时更新",
                "信息发布审核和保密机制是否到位",
                "各项服务和互动功能是否正常",
            ],
            yc("第二十条"),
        ),
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
            yc("第十七条"),
        ),
        "reposts": text(
            "转载",
            "注明来源，保证可追溯；原则上只转载党委和政府网站以及主管单位确定的稿源单位发布的信息",
            yc("第十六条"),
        ),
    },
    "penalties": {
        "spot_check_failed": penalty(
            "抽查不合格",
            "被国务院办公厅、市政府办公厅、区政府办公室抽查为不合格",
            "召集负责人谈话或通报批评，年度考核扣分，提交书面检查整改报告",
            yc("第二十八条（一）"),
        ),
        "unfiled_change": penalty(
            "未备案变更",
            "未按程序开设、变更、关停、注销，且未向区政府办公室和区网信办备案",
            "召集负责人谈话或通报批评，年度考核扣分，提交书面检查整改报告",
            yc("第二十八条（二）"),
        ),
        "rectification_neglect": penalty(
            "整改不力",
            "对指出问题未及时整改，造成严重不良社会影响或被上级通报",
            "召集负责人谈话或通报批评；情节严重的，对责任人给予行政处分",
            yc("第二十八条（三）"),
        ),
    },
    "reporting": text("检查与报告", "定期开展运维评估，通报管理情况", yc("第二十六条")),
    "personnel": texts("人员离岗手续", ["工作移交", "保密承诺", "口令更换"], yc("第二十二条")),
    "platforms": texts("适用平台", ["微博", "微信", "客户端"], yc("第二条")),
}
