"""The app menu (自定义菜单) installed by ``dutybot wecom menu push``.

WeCom allows 3 top-level items with up to 5 sub-items each. A click arrives as a ``click``
event whose EventKey is the item's key; the router maps it with ``Router.by_menu_key``, so a
command opts in with ``@router.command(..., menu_key="filing")``.
"""

from __future__ import annotations

from typing import Any

# (label, menu key) in the order people look for them.
MENU_ITEMS: dict[str, str] = {
    "备案": "filing",
    "送审": "review",
    "整改": "rectification",
    "值班": "duty",
    "帮助": "help",
}


def _click(label: str) -> dict[str, str]:
    return {"type": "click", "name": label, "key": MENU_ITEMS[label]}


def app_menu() -> dict[str, Any]:
    """The ``menu/create`` body: 办事 ▸ 备案 / 送审 / 整改, then 值班 and 帮助 on their own."""
    return {
        "button": [
            {"name": "办事", "sub_button": [_click("备案"), _click("送审"), _click("整改")]},
            _click("值班"),
            _click("帮助"),
        ]
    }
