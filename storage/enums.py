"""Closed vocabularies shared by storage and the bot. Values are stored; labels are shown."""

from __future__ import annotations

from enum import StrEnum


class UnitKind(StrEnum):
    """What sort of body a unit is (it decides who may be an account subject)."""

    GOVERNMENT = "government"  # 政府机关 / 政府工作部门
    PARTY = "party"  # 党委机关
    TOWNSHIP = "township"  # 镇街
    INSTITUTION = "institution"  # 事业单位
    MASS_ORG = "mass_org"  # 群团组织
    OTHER = "other"

    @property
    def label(self) -> str:
        return _UNIT_KIND_LABELS[self]


_UNIT_KIND_LABELS = {
    UnitKind.GOVERNMENT: "政府机关",
    UnitKind.PARTY: "党委机关",
    UnitKind.TOWNSHIP: "镇街",
    UnitKind.INSTITUTION: "事业单位",
    UnitKind.MASS_ORG: "群团组织",
    UnitKind.OTHER: "其他",
}


class Role(StrEnum):
    """What a person may do. A person can hold several roles within their unit."""

    CLERK = "clerk"  # 备案经办人 / 台账管理员
    EDITOR = "editor"  # 编辑人员
    SECTION_CHIEF = "section_chief"  # 科室负责人
    DEPUTY_LEADER = "deputy_leader"  # 分管领导
    PRINCIPAL = "principal"  # 主要领导 / 主要负责人
    DUTY_OFFICER = "duty_officer"  # 值班员
    DUTY_LEAD = "duty_lead"  # 值班长
    SUPERVISOR_STAFF = "supervisor_staff"  # 主管单位工作人员
    ADMIN = "admin"  # 系统管理员

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.CLERK: "备案经办人",
    Role.EDITOR: "编辑",
    Role.SECTION_CHIEF: "科室负责人",
    Role.DEPUTY_LEADER: "分管领导",
    Role.PRINCIPAL: "主要领导",
    Role.DUTY_OFFICER: "值班员",
    Role.DUTY_LEAD: "值班长",
    Role.SUPERVISOR_STAFF: "主管单位工作人员",
    Role.ADMIN: "系统管理员",
}


class Platform(StrEnum):
    """Chat platforms the bot talks on (not the new-media platforms of accounts)."""

    CONSOLE = "console"
    WECOM = "wecom"
    FEISHU = "feishu"
    # WeCom's intelligent robot: the same people (WeCom userids) as WECOM, in groups too.
    WECOM_BOT = "wecom_bot"


class IdentityKind(StrEnum):
    """Which identifier of a platform user an ``Identity`` row holds."""

    HANDLE = "handle"  # console
    USERID = "userid"  # WeCom
    OPEN_ID = "open_id"  # Feishu, per app
    USER_ID = "user_id"  # Feishu, per tenant
    UNION_ID = "union_id"  # Feishu, per developer


class ChatPurpose(StrEnum):
    REVIEW = "review"  # 审核群
    DUTY = "duty"  # 值班群
    SUPERVISION = "supervision"  # 监管群
    GENERAL = "general"

    @property
    def label(self) -> str:
        return {
            ChatPurpose.REVIEW: "审核群",
            ChatPurpose.DUTY: "值班群",
            ChatPurpose.SUPERVISION: "监管群",
            ChatPurpose.GENERAL: "工作群",
        }[self]


class MediaPlatform(StrEnum):
    """Where a government new-media account lives (所属平台)."""

    WECHAT = "wechat"
    WEIBO = "weibo"
    DOUYIN = "douyin"
    APP = "app"
    WEBSITE = "website"
    OTHER = "other"

    @property
    def label(self) -> str:
        return MEDIA_PLATFORM_LABELS[self]

    @classmethod
    def from_label(cls, text: str) -> MediaPlatform | None:
        """Parse a Chinese or English platform name as people write it in spreadsheets."""
        key = text.strip().lower()
        for platform, names in _MEDIA_PLATFORM_ALIASES.items():
            if key in names:
                return platform
        return None


MEDIA_PLATFORM_LABELS = {
    MediaPlatform.WECHAT: "微信",
    MediaPlatform.WEIBO: "微博",
    MediaPlatform.DOUYIN: "抖音",
    MediaPlatform.APP: "客户端",
    MediaPlatform.WEBSITE: "网站",
    MediaPlatform.OTHER: "其他",
}

_MEDIA_PLATFORM_ALIASES: dict[MediaPlatform, set[str]] = {
    MediaPlatform.WECHAT: {"wechat", "微信", "微信公众号", "公众号", "微信视频号", "视频号"},
    MediaPlatform.WEIBO: {"weibo", "微博", "新浪微博"},
    MediaPlatform.DOUYIN: {"douyin", "抖音", "抖音号"},
    MediaPlatform.APP: {"app", "客户端", "移动客户端", "应用"},
    MediaPlatform.WEBSITE: {"website", "网站", "门户网站"},
    MediaPlatform.OTHER: {"other", "其他", "其他平台", "其他第三方平台"},
}


class AccountStatus(StrEnum):
    """Lifecycle of an account in the registry (台账)."""

    PREPARING = "preparing"  # 筹备
    RUNNING = "running"  # 运行
    SUSPENDED = "suspended"  # 临时下线
    CLOSING = "closing"  # 关停公告中
    CLOSED = "closed"  # 已关停
    CANCELLED = "cancelled"  # 已注销

    @property
    def label(self) -> str:
        return ACCOUNT_STATUS_LABELS[self]

    @classmethod
    def from_label(cls, text: str) -> AccountStatus | None:
        key = text.strip()
        for status, label in ACCOUNT_STATUS_LABELS.items():
            if key in (label, status.value):
                return status
        return {"正常": cls.RUNNING, "运营": cls.RUNNING, "运营中": cls.RUNNING}.get(key)


ACCOUNT_STATUS_LABELS = {
    AccountStatus.PREPARING: "筹备",
    AccountStatus.RUNNING: "运行",
    AccountStatus.SUSPENDED: "临时下线",
    AccountStatus.CLOSING: "关停公告中",
    AccountStatus.CLOSED: "已关停",
    AccountStatus.CANCELLED: "已注销",
}


class Decision(StrEnum):
    """What an approver decides, in filing and in review alike; the printed 备案表 says it too.

    The words differ by flow (a filing is 同意 / 退回 / 不同意; a post is 通过 / 退回修改 /
    不予发布), so each flow keeps its own labels for the same three values.
    """

    APPROVE = "approve"
    RETURN = "return"
    REJECT = "reject"

    @property
    def needs_reason(self) -> bool:
        """Sending back and refusing must say why; approving need not."""
        return self is not Decision.APPROVE


FILING_DECISION_LABELS = {
    Decision.APPROVE: "同意",
    Decision.RETURN: "退回",
    Decision.REJECT: "不同意",
}
REVIEW_DECISION_LABELS = {
    Decision.APPROVE: "通过",
    Decision.RETURN: "退回修改",
    Decision.REJECT: "不予发布",
}


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class InboundStatus(StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    FAILED = "failed"


class CardStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
