"""The supervisor dashboard at /dash: server-rendered pages (aiohttp-jinja2) on the bot's own
web app and storage.

Modules: ``session`` (signed cookies, CSRF), ``access`` (who sees what: district, unit, duty
team; 403 otherwise), ``signin`` (demo picker, operators' tokens, the platform OAuth round
trip whose providers the WeCom and Feishu adapters register), ``pages`` (the role check,
rendering, .xlsx export), ``listing`` (a list's filters, page and spreadsheet),
``unit_lists`` (registry, filings, reviews, rectifications), ``overview`` (the home page and
its charts), ``detail`` (one notice), ``routes`` (the URL table, ``setup_dash``).
"""

from bot.web.dash.routes import setup_dash

__all__ = ["setup_dash"]
