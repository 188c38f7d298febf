"""Organisations for tests, and loading one into the test database.

The console tests use the demo district (the ``demo_org`` fixture); the platform tests use the
small organisations here, whose people have WeCom and/or Feishu ids.
"""

from __future__ import annotations

from datetime import datetime

import yaml

from bot.org.apply import apply_org
from bot.org.schema import parse
from tests.support.dates import DEFAULT_NOW

# The group robot's webhook key the fake WeCom accepts.
ROBOT_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


async def load_org_text(text: str, now: datetime = DEFAULT_NOW) -> None:
    """Apply an org file (YAML text) as ``dutybot org apply`` would."""
    await apply_org(parse(yaml.safe_load(text)), now)


# A small district: 张三 (editor) and 李四 (section chief) have WeCom accounts; 王五 has not.
WECOM_ORG = f"""
units:
  - {{key: qx, name: 青溪区融媒体中心, kind: institution}}
people:
  - {{key: zhangsan, name: 张三, unit: qx, roles: [editor, clerk], wecom: ZhangSan}}
  - {{key: lisi, name: 李四, unit: qx, roles: [section_chief], wecom: LiSi}}
  - {{key: wangwu, name: 王五, unit: qx, roles: [editor]}}
chats:
  - key: qx-review
    name: 青溪区审核群
    purpose: review
    unit: qx
    members: [zhangsan, lisi, wangwu]
    wecom_webhook_key: {ROBOT_KEY}
  - {{key: qx-plain, name: 未配机器人的群, unit: qx, members: [zhangsan]}}
"""

# 文旅委宣传科 on Feishu: 小王 is known by open_id, 李科长 only by user_id (the org file may
# carry either), 老周 by both, 赵副主任 is not on Feishu at all.
FEISHU_ORG = """
units:
  - {key: ljq-wlw, name: 临江区文化和旅游发展委员会, kind: government}
  - {key: ljq-wlw-xck, name: 区文旅委宣传科, kind: government, parent: ljq-wlw,
     internal_office: true}
people:
  - {key: xiaowang, name: 小王, unit: ljq-wlw-xck, roles: [editor], feishu_open_id: ou_xiaowang}
  - {key: likz, name: 李科长, unit: ljq-wlw-xck, roles: [section_chief], feishu_user_id: u_likz}
  - {key: laozhou, name: 老周, unit: ljq-wlw-xck, roles: [clerk, editor],
     feishu_open_id: ou_laozhou, feishu_user_id: u_laozhou}
  - {key: zhaofzr, name: 赵副主任, unit: ljq-wlw, roles: [deputy_leader]}
chats:
  - {key: wlw-review, name: 文旅委审核群, purpose: review, unit: ljq-wlw,
     members: [xiaowang, likz, laozhou], feishu_chat_id: oc_wlw_review}
"""

# A small district for the filing platform tests: the 文旅委 with its clerk and head, the 区府办
# as supervising unit, each person on WeCom and Feishu.
PLATFORM_ORG = """
units:
  - {key: ljq-zfb, name: 临江区人民政府办公室, kind: government}
  - {key: ljq-wlw, name: 临江区文化和旅游发展委员会, kind: government, supervisor: ljq-zfb}
  - {key: ljq-wlw-xck, name: 区文旅委宣传科, kind: government, parent: ljq-wlw,
     internal_office: true}
people:
  - {key: laozhou, name: 老周, unit: ljq-wlw-xck, roles: [clerk], wecom: LaoZhou,
     feishu_open_id: ou_laozhou}
  - {key: wangzr, name: 王主任, unit: ljq-wlw, roles: [principal], wecom: WangZR,
     feishu_open_id: ou_wangzr}
  - {key: zhangzr, name: 张主任, unit: ljq-zfb, roles: [supervisor_staff], wecom: ZhangZR,
     feishu_open_id: ou_zhangzr}
chats:
  - {key: wlw-review, name: 文旅委审核群, purpose: review, unit: ljq-wlw,
     members: [laozhou, wangzr], feishu_chat_id: oc_wlw_review, wecom_webhook_key: ROBOTKEY}
  - {key: zfb-jg, name: 监管群, purpose: supervision, unit: ljq-zfb,
     members: [zhangzr], feishu_chat_id: oc_zfb_jg}
accounts:
  - key: ljq-wlw-douyin
    name: 临江文旅
    platform: douyin
    account_id: ljwl2020
    owner_unit: ljq-wlw
    manager: {name: 李科长, phone: "13900000034"}
    operators: [{name: 老周, phone: "13900000036"}]
    opened_on: 2020-09-01
"""

# The 开设 form's answers for PLATFORM_ORG's clerk.
PLATFORM_OPEN_ANSWERS = [
    "微博",
    "同上",
    "临江文旅",
    "ljwl_weibo",
    "文旅宣传",
    "李科长",
    "13900000034",
    "老周",
    "13900000036",
    "赵副主任分管",
    "部门预算",
    "三审三校",
    "老周 13900000036",
]

# 三审三校 on WeCom (dongguan preset): the 文旅委 and its review group with a robot.
REVIEW_WECOM_ORG = f"""
units:
  - {{key: wlw, name: 临江区文化和旅游发展委员会, kind: government}}
  - {{key: wlw-xck, name: 区文旅委宣传科, kind: government, parent: wlw, internal_office: true}}
people:
  - {{key: xiaowang, name: 小王, unit: wlw-xck, roles: [editor], wecom: XiaoWang}}
  - {{key: laozhou, name: 老周, unit: wlw-xck, roles: [editor, clerk], wecom: LaoZhou}}
  - {{key: likz, name: 李科长, unit: wlw-xck, roles: [section_chief], wecom: LiKZ}}
  - {{key: zhaofzr, name: 赵副主任, unit: wlw, roles: [deputy_leader], wecom: ZhaoFZR}}
  - {{key: wangzr, name: 王主任, unit: wlw, roles: [principal], wecom: WangZR}}
chats:
  - key: wlw-review
    name: 文旅委审核群
    purpose: review
    unit: wlw
    members: [xiaowang, laozhou, likz, zhaofzr, wangzr]
    wecom_webhook_key: {ROBOT_KEY}
accounts:
  - {{key: wlw-wechat, name: 临江文旅, platform: wechat, owner_unit: wlw, operator_unit: wlw-xck}}
"""

# 三审三校 on Feishu (yongchuan preset).
REVIEW_FEISHU_ORG = """
units:
  - {key: ljq-wlw, name: 临江区文化和旅游发展委员会, kind: government}
  - {key: ljq-wlw-xck, name: 区文旅委宣传科, kind: government, parent: ljq-wlw,
     internal_office: true}
people:
  - {key: xiaowang, name: 小王, unit: ljq-wlw-xck, roles: [editor], feishu_open_id: ou_xiaowang}
  - {key: likz, name: 李科长, unit: ljq-wlw-xck, roles: [section_chief], feishu_open_id: ou_likz}
  - {key: laozhou, name: 老周, unit: ljq-wlw-xck, roles: [editor], feishu_open_id: ou_laozhou}
  - {key: zhaofzr, name: 赵副主任, unit: ljq-wlw, roles: [deputy_leader],
     feishu_open_id: ou_zhaofzr}
  - {key: wangzr, name: 王主任, unit: ljq-wlw, roles: [principal], feishu_open_id: ou_wangzr}
chats:
  - {key: wlw-review, name: 文旅委审核群, purpose: review, unit: ljq-wlw,
     members: [xiaowang, likz, laozhou, zhaofzr, wangzr], feishu_chat_id: oc_wlw_review}
accounts:
  - {key: wlw-wechat, name: 临江文旅, platform: wechat, owner_unit: ljq-wlw,
     operator_unit: ljq-wlw-xck}
"""

# 整改 on WeCom: the 区府办 supervises the 文旅委, whose duty group has a robot.
RECT_WECOM_ORG = f"""
units:
  - {{key: fzb, name: 临江区人民政府办公室, kind: government}}
  - {{key: wlw, name: 临江区文化和旅游发展委员会, kind: government, supervisor: fzb}}
  - {{key: xck, name: 区文旅委宣传科, kind: government, parent: wlw, internal_office: true}}
people:
  - {{key: zhangzr, name: 张主任, unit: fzb, roles: [supervisor_staff], wecom: ZhangZR}}
  - {{key: xiaowang, name: 小王, unit: xck, roles: [editor], wecom: XiaoWang}}
  - {{key: wangzr, name: 王主任, unit: wlw, roles: [principal], wecom: WangZR}}
chats:
  - key: wlw-duty
    name: 区文旅委值班群
    purpose: duty
    unit: wlw
    members: [xiaowang, wangzr]
    wecom_webhook_key: {ROBOT_KEY}
accounts:
  - {{key: wlw-wechat, name: 临江文旅, platform: wechat, owner_unit: wlw, operator_unit: xck}}
"""

# 整改 on Feishu.
RECT_FEISHU_ORG = """
units:
  - {key: fzb, name: 临江区人民政府办公室, kind: government}
  - {key: wlw, name: 临江区文化和旅游发展委员会, kind: government, supervisor: fzb}
  - {key: xck, name: 区文旅委宣传科, kind: government, parent: wlw, internal_office: true}
people:
  - {key: zhangzr, name: 张主任, unit: fzb, roles: [supervisor_staff], feishu_open_id: ou_zhangzr}
  - {key: xiaowang, name: 小王, unit: xck, roles: [editor], feishu_open_id: ou_xiaowang}
  - {key: wangzr, name: 王主任, unit: wlw, roles: [principal], feishu_open_id: ou_wangzr}
chats:
  - {key: wlw-duty, name: 区文旅委值班群, purpose: duty, unit: wlw,
     members: [xiaowang, wangzr], feishu_chat_id: oc_wlw_duty}
accounts:
  - {key: wlw-wechat, name: 临江文旅, platform: wechat, owner_unit: wlw, operator_unit: xck}
"""
