"""Reading duty (读网值班): 24/7 duty teams watching the government new-media accounts of their
scope. Four areas share this flow: the roster and swaps, the handover (交接班), patrols, alerts
and the activity monitor, and personnel leaving. Each area has a module in the packages that
several areas need (``forms``, ``start``, ``transitions``, ``cards``, ``steps``, ``records``)
and its section here.

Shared modules:

- ``model``: ``DutyError``, locks, constants (subjects, action prefixes, card kinds), labels
- ``people``: ``on_duty``, ``responsible``, the duty lead, ``duty_chain`` (lead → unit head →
  supervisor), the teams of a person, the units of a team's scope
- ``planner``: materialises shifts ahead from the rotations (worker cron, ``org load``)

## Roster (排班) and swaps (换班)

A team's rotation (``DutyRotation``, never edited: a change is a new row from a date on) is
planned into ``DutyShift`` rows, one per shift (24 h, or day and night with the team's change
times). Shifts on non-working days are marked holiday shifts and go round the optional holiday
rotation. A shift that has started never changes.

A shift's person changes only by these transitions (``transitions/roster.py``,
``transitions/swaps.py``), each under the shift's row lock::

    ROTATION 轮值 ── 值班长 "12月5日白班由老刘值" override ──► OVERRIDE 值班长调整
        │
        └── swap done ──► SWAP 换班

A swap request (``DutySwap.status``)::

    换班 12月5日白班 老刘 (request)
        │
        ▼
    OPEN 待同事接受 ── every named colleague 拒绝 decline ──► DECLINED
        │  ╲── requester 撤回 cancel ──► CANCELLED
        │ 接受 accept (the first colleague wins)
        ├───────────── team without approval ─────────────┐
        ▼                                                  │
    ACCEPTED 待值班长审批 ── 不同意 refuse ──► REFUSED      │
        │ 同意 approve                                     │
        ▼                                                  ▼
    DONE 已换班 (the shift's person changes in the same transaction)

    OPEN or ACCEPTED when the shift starts ── expire (deadline step) ──► EXPIRED

Modules of the area: ``forms/roster.py`` (parsing "12月5日白班由老刘值" and shift names),
``start/roster.py`` (``值班``, ``值班表``, ``换班``), ``transitions/roster.py`` (override),
``transitions/swaps.py`` (request, accept, decline, approve, refuse, cancel, expire),
``cards/roster.py`` (the week table, the swap cards), ``records/roster.py`` (the week's
shifts, my next shift), ``roster_image.py`` (the week as a PNG), ``steps/swaps.py``.

## Alerts (告警), patrols (读网巡查) and the activity monitor (更新监测)

An alert (``Alert.status``), from any source — ``报告``, ``POST /api/alerts``, an abnormal
patrol item, the activity monitor — all through ``transitions/alerts.raise_alert``::

    raise_alert (card 1:1 to ``people.responsible`` + @ in the duty group; urgent_app for
    │            严重/舆情; 舆情 also to the supervisors at once; a dedupe key makes retries one)
    ▼
    OPEN 待确认 ── alert.ack[.serious|.opinion] passes ── escalate: duty lead (level 1)
    │      ▲        alert.escalate ── unit head (2) · alert.supervise ── supervisors (3)
    │      └─────── renotify every 5 min: everyone reached so far
    │ 确认告警 acknowledge (only the people it reached; others refused, audited)
    ▼
    ACKNOWLEDGED 已确认 ── 转整改 rectify (supervisor staff; the rectification flow's
    │                       issue_notice) ──► RECTIFYING 已转整改
    │ 已处理 resolve (a note)
    ▼
    RESOLVED 已处理

A patrol round (``PatrolRound``): one per shift, opened by the ``duty_watch`` cron or ``巡查``
with the preset's checklist for every running account of the team's scope; the card walks it
item by item (本项正常 / 本项异常 → an alert / 本账号全部正常); complete → closed; the shift
ends first → closed with what is left, which the handover lists.

The activity monitor (``activity``): ``duty_watch`` compares each account's last update and
weekly count (review's 已发布 records and ``更新 账号名``) with the preset; a warning to the owner
unit before each breach, an alert to the team at it, each once (``ActivityFlag`` rows).

Modules of the area: ``forms/alerts.py`` (报告), ``start/alerts.py`` (报告 and its form),
``start/patrol.py`` (opening and closing rounds, ``巡查``), ``transitions/alerts.py``
(raise_alert, acknowledge, resolve, rectify, escalate), ``transitions/patrol.py`` (record,
all_ok, end_round), ``cards/alerts.py``, ``cards/patrol.py``, ``steps/alerts.py``,
``records/alerts.py`` (告警), ``activity.py`` (the monitor and ``更新``); the handover's
alert and patrol sources are in ``records/handover.py``; ``bot/web/alerts.py`` is the API.

## Handover (交接班)

One ``DutyHandover`` per shift change, planned two days ahead (``start/handover.py``: the
worker's cron ``plan_handovers``) with one deadline whose steps are the whole handover. Until
the incoming officer acknowledges, the outgoing officer holds responsibility
(``people.responsible`` → ``people.holder_id``)::

    plan (cron) ──► SCHEDULED 待交班
                      │ remind: the incoming officer, handover.remind before the change
                      │ prepare: card to the outgoing officer, handover.prepare before
                      │          (or 交接班 earlier), pre-filled by records.open_items
                      ▼          (same officer on both shifts: ACKNOWLEDGED at once)
                    PREPARING 待提交交接 ── 提交交接 submit (+ note) ──► SUBMITTED 待确认接班
                      │                                                 │ 确认接班 acknowledge
                      │ change: the outgoing officer is told            │ (incoming officer)
                      │ lead (handover.ack after the change), head,     │
                      │ renotify … until someone acknowledges; the      ▼
                      └── people reached may 代为确认接班 (proxy) ──► ACKNOWLEDGED 已确认接班

    a shift change that no longer exists when a step fires ──► CANCELLED
    still open when the incoming shift ends: stops paging (the next handover carries on)

Modules of the area: ``start/handover.py`` (planning, ``交接班``, ``记录``),
``transitions/handover.py`` (prepare, at_change, escalate, submit, acknowledge, cancel),
``cards/handover.py`` (the outgoing, incoming and escalation cards), ``steps/handover.py``
(the step handler ``duty.handover``), ``records/handover.py`` (the pre-fill sources and
``交接记录``).
"""
