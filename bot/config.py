"""Effective configuration: environment variables (``DUTYBOT_*``) and an optional ``.env`` file.

The variable names are fixed by the deployment guides; do not rename them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything a deployment can set. Secrets are ``SecretStr`` so they never print."""

    model_config = SettingsConfigDict(
        env_prefix="DUTYBOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    home: Path = Path("./var")
    database_url: str | None = None
    redis_url: str | None = None
    policy: str = "default"
    # JSON object of single preset values to override, e.g. {"review.reminder_hours": 2}.
    policy_overrides: dict[str, Any] = Field(default_factory=dict)
    timezone: str = "Asia/Shanghai"
    calendar_file: Path | None = None
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    public_url: str | None = None
    # None = on only in `dutybot demo`; an explicit value wins everywhere.
    console: bool | None = None
    # The console has no login: anyone who reaches it can act as anyone. It is refused on a
    # non-loopback address unless this is set (a deliberate, loudly warned choice).
    console_allow_remote: bool = False
    # serve and worker follow the demo clock stored in the database (the offset `dutybot demo`
    # moves), re-read every second: separate processes then share one movable clock, for
    # trials and end-to-end tests. Never in production (the clock can be moved forward).
    demo_clock: bool = False
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    # Third-party SQL statement logging (with values) at DEBUG; off unless asked for.
    log_sql: bool = False
    # A font with Chinese glyphs for images (the 值班表 PNG); empty: the usual system paths.
    cjk_font: Path | None = None

    wecom_corp_id: str | None = None
    wecom_agent_id: int | None = None
    wecom_secret: SecretStr | None = None
    wecom_token: SecretStr | None = None
    wecom_aes_key: SecretStr | None = None
    wecom_api_base: str = "https://qyapi.weixin.qq.com"

    # The intelligent robot (智能机器人, API mode): groups and taps in groups; see
    # docs/deploy-wecom.md. Long connection by default (BotID + Secret, no public URL);
    # "callback" receives encrypted JSON at POST /wecom/bot/callback (Token + EncodingAESKey).
    wecom_bot_id: str | None = None
    wecom_bot_secret: SecretStr | None = None
    wecom_bot_mode: Literal["longconn", "callback"] = "longconn"
    wecom_bot_token: SecretStr | None = None
    wecom_bot_aes_key: SecretStr | None = None
    wecom_bot_ws_url: str = "wss://openws.work.weixin.qq.com"

    feishu_app_id: str | None = None
    feishu_app_secret: SecretStr | None = None
    feishu_verification_token: SecretStr | None = None
    feishu_encrypt_key: SecretStr | None = None
    feishu_api_base: str = "https://open.feishu.cn"
    feishu_mode: Literal["webhook", "websocket"] = "webhook"

    @field_validator("wecom_agent_id", mode="before")
    @classmethod
    def _blank_agent_id_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def resolved_home(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite://{self.resolved_home / 'dutybot.sqlite3'}"

    @property
    def effective_calendar_file(self) -> Path:
        return self.calendar_file or (self.resolved_home / "calendar.toml")

    def console_enabled(self, demo: bool) -> bool:
        return demo if self.console is None else self.console

    def channel_status(self) -> list[ChannelStatus]:
        """Which platform channels are configured, and what each still lacks."""
        wecom_fields: dict[str, object] = {
            "DUTYBOT_WECOM_CORP_ID": self.wecom_corp_id,
            "DUTYBOT_WECOM_AGENT_ID": self.wecom_agent_id,
            "DUTYBOT_WECOM_SECRET": self.wecom_secret,
            "DUTYBOT_WECOM_TOKEN": self.wecom_token,
            "DUTYBOT_WECOM_AES_KEY": self.wecom_aes_key,
        }
        feishu_fields: dict[str, object] = {
            "DUTYBOT_FEISHU_APP_ID": self.feishu_app_id,
            "DUTYBOT_FEISHU_APP_SECRET": self.feishu_app_secret,
        }
        if self.feishu_mode == "webhook":
            # Webhook callbacks must be authenticated; long connections are authenticated
            # by the app credentials themselves.
            feishu_fields["DUTYBOT_FEISHU_VERIFICATION_TOKEN"] = self.feishu_verification_token
            feishu_fields["DUTYBOT_FEISHU_ENCRYPT_KEY"] = self.feishu_encrypt_key
        bot_fields: dict[str, object] = {"DUTYBOT_WECOM_BOT_ID": self.wecom_bot_id}
        if self.wecom_bot_mode == "longconn":
            bot_fields["DUTYBOT_WECOM_BOT_SECRET"] = self.wecom_bot_secret
        else:
            bot_fields["DUTYBOT_WECOM_BOT_TOKEN"] = self.wecom_bot_token
            bot_fields["DUTYBOT_WECOM_BOT_AES_KEY"] = self.wecom_bot_aes_key
        return [
            ChannelStatus.from_fields("wecom", "企业微信", wecom_fields),
            ChannelStatus.from_fields("feishu", "飞书", feishu_fields),
            ChannelStatus.from_fields("wecom_bot", "企业微信智能机器人", bot_fields),
        ]

    @property
    def wecom_enabled(self) -> bool:
        return self.channel_status()[0].enabled

    @property
    def feishu_enabled(self) -> bool:
        return self.channel_status()[1].enabled

    @property
    def wecom_bot_enabled(self) -> bool:
        return self.channel_status()[2].enabled


@dataclass(frozen=True)
class ChannelStatus:
    name: str
    label: str
    present: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def enabled(self) -> bool:
        """A channel is on when every setting it needs is present."""
        return not self.missing

    @property
    def partially_configured(self) -> bool:
        return bool(self.present) and bool(self.missing)

    @classmethod
    def from_fields(cls, name: str, label: str, fields: Mapping[str, object]) -> ChannelStatus:
        present = tuple(k for k, v in fields.items() if not _blank(v))
        missing = tuple(k for k, v in fields.items() if _blank(v))
        return cls(name=name, label=label, present=present, missing=missing)


def _blank(value: object) -> bool:
    # ``DUTYBOT_FEISHU_ENCRYPT_KEY=`` in a .env gives SecretStr(""): that is not a key.
    if isinstance(value, SecretStr):
        return not value.get_secret_value()
    return value is None or value == ""


SECRET_MASK = "******"


def describe(settings: Settings, demo: bool = False) -> list[tuple[str, str]]:
    """Name/value pairs of the effective configuration, secrets masked."""
    rows: list[tuple[str, str]] = []
    for name, field in Settings.model_fields.items():
        value = getattr(settings, name)
        env = f"DUTYBOT_{name.upper()}"
        if isinstance(value, SecretStr):
            shown = SECRET_MASK if value.get_secret_value() else ""
        elif value is None:
            shown = ""
        else:
            shown = mask_url_password(str(value))
        if name == "database_url":
            shown = mask_url_password(settings.effective_database_url)
        elif name == "redis_url":
            shown = mask_url_password(value) if value else "（内嵌 redis-server）"
        elif name == "console" and value is None:
            shown = "仅 demo 模式开启" if not demo else "开启（demo）"
        rows.append((env, shown))
        del field
    return rows


# Query parameters whose value is a secret (libpq's sslpassword, redis' password, …).
_SECRET_PARAM = re.compile(
    r"([?&;](?:[\w.-]*(?:password|passwd|pwd|secret|token|key))=)[^&;#\s]*", re.IGNORECASE
)
# user:password@ in the authority of any URL in the text.
_USERINFO = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/:@\s]*):[^@/\s]*@", re.IGNORECASE)


def mask_url_password(url: str) -> str:
    """Hide passwords inside a URL or DSN: ``postgres://u:secret@host/db``,
    ``https://user:pass@proxy``, ``?sslpassword=…``, ``?password=…``."""
    masked = _USERINFO.sub(rf"\1:{SECRET_MASK}@", url)
    return _SECRET_PARAM.sub(rf"\1{SECRET_MASK}", masked)


class ReviewOptions(BaseSettings):
    """What a deployment may change about review (``DUTYBOT_REVIEW_*``); see docs/decisions."""

    model_config = SettingsConfigDict(env_prefix="DUTYBOT_REVIEW_", extra="ignore")

    # Small units with too few leaders may let one person approve two levels of one post.
    allow_same_person: bool = False
    # The author may 催办 once per this many minutes.
    urge_interval_minutes: int = 60
    # Who hears when a level stays pending past review.escalate: another holder of the same
    # role ("deputy", who may then decide in the approver's place), or the next level's holder.
    escalate_to: Literal["deputy", "next_level"] = "deputy"
    sensitive_words: list[str] = []
    # One word a line; read at every check so an edit needs no restart.
    sensitive_words_file: Path | None = None
    # The office's own 规范表述 / typo rules (the shipped rule file's format), added to the
    # shipped ones; read again when the file changes.
    wording_file: Path | None = None

    def words(self) -> list[str]:
        found = list(self.sensitive_words)
        if self.sensitive_words_file is not None and self.sensitive_words_file.exists():
            text = self.sensitive_words_file.read_text(encoding="utf-8")
            found += [w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#")]
        return found
