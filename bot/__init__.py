"""dutybot: the duty bot for government new-media offices, on WeCom, Feishu and a web console."""

__version__ = "0.1.0"
