"""A small district for the platform tests: the 文旅委 with its clerk and head, the 区府办
as supervising unit, each person on WeCom and Feishu."""

ORG = """
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

OPEN_ANSWERS = [
    "同上",
    "临江文旅",
    "ljwl_weibo",
    "微博",
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
