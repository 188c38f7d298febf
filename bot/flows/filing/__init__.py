"""Account filings (备案): a unit's clerk files the opening, change, closure, cancellation,
temporary offline or resumption of one of the unit's accounts; the unit's 主要负责人 and then
its supervising unit approve it; the approved filing changes the account registry and yields
the printed 备案表. A 紧急关停 is reported, not approved.

The filing (``transitions`` function in brackets)::

    备案 → kind → account → form ──提交 [submit]──▶ PENDING 审批中, step 0 (主办单位意见)

    PENDING ──同意, not the last level [approve]──▶ PENDING, step + 1 (备案主管单位意见)
    PENDING ──同意 at the last level [approve]────▶ APPROVED 已同意   registry, countdowns, 备案表
    PENDING ──退回 + reason [send_back]───────────▶ RETURNED 已退回
    PENDING ──不同意 + reason [reject]────────────▶ REJECTED 不同意
    RETURNED ──修改后重新提交 → form → 提交 [resubmit]──▶ PENDING, step 0, round + 1
    PENDING | RETURNED ──撤回备案 by its clerk [withdraw]──────▶ WITHDRAWN 已撤回
    PENDING | RETURNED ──紧急关停 of its account [supersede]───▶ SUPERSEDED 已作废

    紧急关停 form ──提交报备 [report_emergency]──▶ REPORTED 已报备   registry 已关停 at once

The account, as filings move it (``accounts.apply`` on approval)::

    开设 ──▶ 筹备 ──已上线 [go_live]──▶ 运行
    变更: the items that change, status as it was
    关停 ──▶ 关停公告中 ──the notice period ends [end_closure_notice]──▶ 已关停
    注销 ──▶ 已注销          临时下线 ──▶ 临时下线          恢复上线 ──▶ 运行
    紧急关停 ──▶ 已关停

Modules, each importing only those above it in this list:

- ``model``: the error, locking a filing, titles and labels, the flow's constants
- ``people``: the approval chain, who is informed, who took part
- ``cards``: the cards, built from plain values
- ``document``: the printed 备案表 (.docx), storing and sending it (this flow only)
- ``accounts``: what a filing does to the account registry, with history (this flow only)
- ``countdowns``: starting, moving and ending the filing's deadlines (this flow only: apart
  from ``steps``, whose handler calls the transitions that call these)
- ``transitions``: every change of state
- ``steps``: the step handler: reminders, and the end of a closure notice
- ``forms``: the forms of each kind, their questions and validators
- ``start``: from 备案 to the form, and the form's 提交
- ``records``: 台账, 我的备案, 下载
"""
