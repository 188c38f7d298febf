"""Feishu (飞书) adapter: webhook and long-connection inbound, HTTP API outbound.

Nothing here imports ``lark_oapi`` at module import time: the SDK costs seconds and ~170 MB,
so only the long-connection mode loads it, and only when Feishu is configured
(see ``longconn.py`` and docs/decisions/feishu.md).
"""
