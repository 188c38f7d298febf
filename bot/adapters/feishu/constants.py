"""Feishu endpoints, limits, error codes and this adapter's Redis keys, in one place."""

from __future__ import annotations

from bot.constants import KEY_PREFIX

TENANT_TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
BOT_INFO_PATH = "/open-apis/bot/v3/info"
# Signing in to /dash (OAuth): the consent page, the code exchange, who signed in.
AUTHORIZE_PATH = "/open-apis/authen/v1/authorize"
OAUTH_TOKEN_PATH = "/open-apis/authen/v2/oauth/token"
USER_INFO_PATH = "/open-apis/authen/v1/user_info"
MESSAGES_PATH = "/open-apis/im/v1/messages"
CHATS_PATH = "/open-apis/im/v1/chats"
FILES_PATH = "/open-apis/im/v1/files"
IMAGES_PATH = "/open-apis/im/v1/images"
# Image messages: at most 10 MB (JPG/PNG/…); anything else goes as a file.
MAX_IMAGE_BYTES = 10 * 1024 * 1024
IMAGE_MIMES = frozenset({"image/png", "image/jpeg"})

# Uploads: at most 30 MB, never empty; file_type by suffix, "stream" for anything else.
MAX_FILE_BYTES = 30 * 1024 * 1024
FILE_TYPES = {
    ".pdf": "pdf",
    ".doc": "doc",
    ".docx": "doc",
    ".xls": "xls",
    ".xlsx": "xls",
    ".csv": "xls",
    ".ppt": "ppt",
    ".pptx": "ppt",
    ".mp4": "mp4",
    ".opus": "opus",
}
# An uploaded file_key is reused for the same stored file (one upload, many receivers).
FILE_KEY_TTL_SECONDS = 24 * 3600

# Answer a card callback within Feishu's 3 s, leaving room for the network.
CALLBACK_DEADLINE_SECONDS = 2.5
HTTP_TIMEOUT_SECONDS = 10.0

# Send limits (docs "频控策略" and im/v1/message/create): per app, per receiving person or
# group, and per message for PATCH.
APP_LIMITS: list[tuple[int, float]] = [(50, 1.0), (1000, 60.0)]
TARGET_LIMITS: list[tuple[int, float]] = [(5, 1.0)]
MESSAGE_PATCH_LIMITS: list[tuple[int, float]] = [(5, 1.0)]

# Shared cards can be PATCHed for 14 days after sending; older ones are sent afresh.
PATCH_MAX_AGE_DAYS = 14
# Feishu keeps a create/reply ``uuid`` for one hour and accepts at most 50 characters.
UUID_MAX_LENGTH = 50

RATE_LIMITED_CODES = frozenset({99991400, 230020})
TOKEN_INVALID_CODES = frozenset({99991661, 99991663, 99991664, 99991665, 99991668, 99991677})
# Urgent delivery refused for quota reasons: the message itself was delivered.
URGENT_QUOTA_CODES = frozenset({230023, 230024})
# Retrying may help (internal errors, "system busy").
TRANSIENT_CODES = frozenset({1, 1000040343, 99991401, 99991672, 230015})

BOT_INFO_TTL_SECONDS = 24 * 3600


def token_name(app_id: str) -> str:
    """Name for ``bot.tokens`` (one tenant token per app, shared by every process)."""
    return f"feishu:tenant:{app_id}"


def cooldown_key(scope: str) -> str:
    """Set after a 429 / 99991400 so every process waits, not just the one that was told."""
    return f"{KEY_PREFIX}feishu:cooldown:{scope}"


def file_key_key(app_id: str, file_id: str) -> str:
    return f"{KEY_PREFIX}feishu:file-key:{app_id}:{file_id}"


def image_key_key(app_id: str, file_id: str) -> str:
    return f"{KEY_PREFIX}feishu:image-key:{app_id}:{file_id}"


def bot_info_key(app_id: str) -> str:
    return f"{KEY_PREFIX}feishu:bot-open-id:{app_id}"
