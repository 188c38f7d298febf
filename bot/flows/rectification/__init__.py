"""Rectification notices (整改通知): a supervisor (or a monitoring system, or a tap on an alert or
patrol finding) tells an owner unit to fix a problem by a deadline; the unit acknowledges, fixes
it and reports; the supervisor verifies or sends it back. The countdown runs on the deadline
engine, so reminders and the overdue escalation survive restarts and fire once.

States (``RectStatus``), with the transitions that move a notice between them::

    整改 form · POST /api/rectifications · 下发整改 on a finding
        │ start.issue_notice (the countdown starts)
        ▼
    ISSUED 待接收 ──── 已接收 acknowledge ────► ACKNOWLEDGED 整改中 ◄──┐
                                                     │                  │ 驳回 reject
                                                     │ 已整改 submit    │ (a full new limit)
                                                     ▼ (clock paused)   │
                                                SUBMITTED 待核验 ───────┘
                                                     │ 通过 verify (countdown completed)
                                                     ▼
                                                VERIFIED 已通过

    Beside the state, while ISSUED or ACKNOWLEDGED:
      extension_pending   申请延期 request_extension → 同意延期 grant_extension (a new due
                          time) or 不同意 refuse_extension; 已整改 meanwhile drops the request
      overdue             set at due by go_overdue (a circular in the records, the unit head
                          and the supervisors are told), cleared by 驳回 or 同意延期;
                          ever_overdue stays for the statistics

Modules:

- ``model``: the subject: ``RectificationError``, ``lock``, numbers (ZG2026-0001), the rule
  of a notice, flag kinds and labels, constants (subject, step handler, action prefix, cards)
- ``people``: who issues, receives, heads the unit, verifies, reads the records
- ``forms``: the 整改 form's questions, choices and validators
- ``start``: ``issue_notice`` and ``NoticeRequest`` (every source), the 整改 form and its
  submit, ``finding_button`` and ``issue_from_finding`` (the seam for alerts and findings)
- ``transitions``: acknowledge, submit, request_extension, verify, reject, grant_extension,
  refuse_extension, go_overdue
- ``cards``: the owner unit's card, the 整改核验 and 延期申请 cards (pure)
- ``steps``: starting the countdown; its step handler (reminders, overdue, escalation)
- ``records``: 整改记录: a notice's timeline, the overview with counts, the flags

and what only this flow has:

- ``times``: the times people type (a new due time, when a report was received)
- ``consequences``: the presets' penalties: 建议关停 (dongguan), the quarterly letter and
  circular (kunming), the bottom three (jiaxian)
- ``quarterly``: the quarterly review exactly once per quarter (the worker's cron, 整改季度)
"""
