"""Three-level review (三审三校) of a post before it is published (先审后发).

The author fills the 送审 form; the post is checked (``check``), then routed level by level
through the roles of the author's unit that the active preset names (``policy.review.levels``,
snapshotted into the post at submission). Each level is one ``ReviewStep`` with a card in the
unit's review group that @-mentions the approver, and a deadline that reminds and escalates.
A decision locks the step row, checks its state and writes the next step, the audit entry and
the outbox rows in the same transaction. A post is 可发布 only after its last level.

States of a post (``PostStatus``), the arrows explained below::

      form ──▶ DRAFT ◀──────── (g) ────────┐
                 │                         │
                (a)                        │
                 ▼                         │
             IN_REVIEW ──── (e) ────▶ RETURNED
                 │
                 ├──── (d) ────▶ APPROVED ──── (h) ────▶ PUBLISHED
                 │
                 └──── (f) ────▶ REJECTED

      DRAFT, IN_REVIEW, RETURNED ──── (i) ────▶ WITHDRAWN

  (a) 送审 with a clean check, or 仍然送审 on the check card
  (b) 修改 on the check card: the form again, the same version (stays DRAFT, not drawn)
  (c) 通过 at a level that is not the last (the next level opens); 转交, 催办, a reminder or an
      escalation (the level stays open): stays IN_REVIEW, not drawn
  (d) 通过 at the last level: 可发布
  (e) 退回修改
  (f) 不予发布
  (g) 修改后重新送审: a new version, checked again, then from 初审 again
  (h) 已发布, with the link
  (i) 撤回 (放弃 on the check card)

A level (``StepStatus``): PENDING → APPROVED / RETURNED / REJECTED, or CANCELLED on 撤回.

Modules: ``model`` (the post, ``ReviewError``, locks, constants), ``people`` (levels, who
may approve, delegates, where each person hears), ``forms`` (the 送审 form), ``start`` (送审,
the form's submit, the check card, 仍然送审), ``transitions`` (送审, 通过 / 退回修改 / 不予发布,
转交, 撤回, 催办, 已发布, reminder and escalation), ``cards`` (pure card builders), ``steps``
(the level deadline and its step handler), ``records`` (审核记录, 待审核, 查看全文, account
updates) and, only here, ``check`` (the pre-review check, 送审前自检: pure), ``proofing``
(纠错 inside that check: the directory's names, 规范表述 and typo rule files, Aho–Corasick;
pure) and ``reading`` (what the check reads: the directory's names, the text of .docx/.txt
attachments).
"""
