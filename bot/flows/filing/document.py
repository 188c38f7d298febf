"""The printed 备案表 (7): a .docx laid out like the jiaxian appendix, with both opinions."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from bot.core.files import download_path, save
from bot.core.outgoing import FileRef, Message
from bot.core.work import Work
from bot.flows.filing.model import HEAD_LEVEL, SUBJECT, SUPERVISOR_LEVEL, display_values
from storage.enums import FILING_DECISION_LABELS, Decision, MediaPlatform, Platform
from storage.models.filing import Filing, FilingKind
from storage.models.machinery import StoredFile

EXTRA_ROWS = (
    ("changed_text", "变更事项"),
    ("effective", "生效日期"),
    ("start", "下线日期"),
    ("end", "恢复上线日期"),
    ("migration", "内容迁移方案"),
    ("notice", "关停公告"),
    ("plan_lead", "实施方案·组织领导"),
    ("plan_funding", "实施方案·经费保障"),
    ("plan_rules", "实施方案·管理制度"),
    ("plan_contact", "实施方案·联系人"),
)


def _date(iso: str, tz: ZoneInfo) -> str:
    local = datetime.fromisoformat(iso).astimezone(tz)
    return f"{local.year}年{local.month}月{local.day}日"


def render(filing: Filing, title: str, tz: ZoneInfo) -> bytes:
    """The 备案表 as .docx bytes (pure: the filing in, the document out)."""
    values = display_values(filing)
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "宋体"
    style.font.size = Pt(11)
    # Word picks the font of Chinese text from the East Asian slot, not from font.name.
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(title)
    run.bold = True
    run.font.size = Pt(16)
    doc.add_paragraph(f"编号：{filing.id}")
    kinds = "  ".join(("☑" if k == filing.kind else "☐") + k.label for k in FilingKind)
    rows: list[tuple[str, str]] = [
        ("责任主体", values.get("subject", "")),
        ("新媒体名称", values.get("name", "")),
        ("账号", values.get("account_id", "")),
        ("所属平台", _platforms(values)),
        ("备案类型", kinds),
        ("备案原由", values.get("reason", "")),
        ("运营主管负责人", _person(values, "manager")),
        ("运营人员", _person(values, "operator")),
    ]
    rows += [(label, values[key]) for key, label in EXTRA_ROWS if values.get(key)]
    for level in (HEAD_LEVEL, SUPERVISOR_LEVEL):
        opinion = _opinion(filing, level, tz)
        rows.append((level, opinion))
    table = doc.add_table(rows=len(rows), cols=2)
    table.style = "Table Grid"
    table.autofit = False
    for column, width in zip(table.columns, (Cm(4), Cm(12)), strict=True):
        column.width = width
    for index, (label, value) in enumerate(rows):
        left, right = table.rows[index].cells
        left.width, right.width = Cm(4), Cm(12)
        left.text = label
        left.paragraphs[0].runs[0].bold = True
        right.text = value
    doc.add_paragraph("注：其他第三方平台须说明平台的具体名称。")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _platforms(values: dict[str, str]) -> str:
    """The appendix's boxes: 微博 / 微信 / 抖音 / 客户端 / 其他（named）."""
    chosen = values.get("platform", "")
    boxes = []
    for platform in MediaPlatform:
        label = platform.label
        if platform == MediaPlatform.OTHER and chosen == platform.value:
            label += f"（{values.get('platform_name', '')}）"
        boxes.append(("☑" if platform.value == chosen else "☐") + label)
    return "  ".join(boxes)


def _person(values: dict[str, str], who: str) -> str:
    name, phone = values.get(f"{who}_name", ""), values.get(f"{who}_phone", "")
    return f"姓名：{name}    联系方式：{phone}"


def _opinion(filing: Filing, level: str, tz: ZoneInfo) -> str:
    """The latest opinion of the round at this level, with who and when, and room to seal."""
    found = [
        op for op in filing.opinions or [] if op["level"] == level and op["round"] == filing.round
    ]
    if not found:
        return "\n\n（签字）              （盖章）\n\n年    月    日"
    op = found[-1]
    words = FILING_DECISION_LABELS[Decision(op["decision"])]
    reason = f"。{op['reason']}" if op.get("reason") else ""
    return f"{words}{reason}\n\n签字：{op['name']}              （盖章）\n\n{_date(op['at'], tz)}"


async def store(w: Work, filing: Filing) -> FileRef:
    """Render the 备案表 with the opinions given so far, keep it, and point the filing at it."""
    title = w.policy.filing.form.value
    data = render(filing, title, w.tz)
    ref = await save(
        w.services,
        w.conn,
        name=f"{title}-{filing.id}.docx",
        data=data,
        now=w.now,
        subject_type=SUBJECT,
        subject_id=filing.id,
        created_by=w.by.person_id,
    )
    filing.document_id = ref.file_id
    await filing.save(using_db=w.conn, update_fields=["document_id"])
    await w.audit(
        "filing.document_generated", SUBJECT, filing.id, {"file": ref.file_id, "name": ref.name}
    )
    return ref


async def stored(w: Work, filing: Filing) -> FileRef | None:
    """The 备案表 last generated for the filing, if any."""
    if not filing.document_id:
        return None
    row = await StoredFile.filter(id=filing.document_id).using_db(w.conn).first()
    if row is None:
        return None
    return FileRef(file_id=row.id, name=row.name, size=row.size, mime=row.mime)


async def send(
    w: Work, person_id: int, ref: FileRef, lead: str, platform: Platform | None = None
) -> None:
    """The document as a file, plus a signed link where the deployment has a public address
    (WeCom app messages carry no files here, and a link also works on a desktop browser)."""
    text = lead
    base = (w.services.settings.public_url or "").rstrip("/")
    if base:
        text += f"\n下载链接（7天内有效）：{base}{await download_path(w.services, ref)}"
    await w.emit.to_person(person_id, Message(text=text), platform=platform)
    # The file on its own row: a retried upload never repeats the text before it.
    await w.emit.to_person(person_id, Message(files=(ref,)), platform=platform)
