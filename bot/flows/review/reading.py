"""What the pre-review check reads from the database: the directory's names for 纠错 and the
text of the post's .docx and .txt attachments (the circulars say "所有信息（含附件）")."""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Sequence
from functools import lru_cache
from pathlib import PurePath

from docx import Document
from tortoise.backends.base.client import BaseDBAsyncClient

from bot.config import ReviewOptions
from bot.core.outgoing import FileRef
from bot.flows.review.proofing import Proofreader, rule_set
from bot.flows.review.proofing.names import Lexicon, PersonTitle, UnitNames, split_titles
from storage.models.machinery import StoredFileContent
from storage.models.org import Person, Unit

log = logging.getLogger(__name__)

READABLE = (".docx", ".txt")


async def lexicon(conn: BaseDBAsyncClient) -> Lexicon:
    """Every active unit's names and every active person's titles."""
    units = await Unit.filter(active=True).using_db(conn).order_by("id")
    people = await Person.filter(active=True).using_db(conn).order_by("id")
    return _lexicon(
        tuple(
            UnitNames(u.name, tuple(u.aliases or ()), tuple(u.former_names or ())) for u in units
        ),
        tuple(PersonTitle(p.name, split_titles(p.title)) for p in people if p.title),
    )


@lru_cache(maxsize=4)
def _lexicon(units: tuple[UnitNames, ...], people: tuple[PersonTitle, ...]) -> Lexicon:
    """Built again only when the directory's names change (an org load): building the
    automaton costs more than reading the rows."""
    return Lexicon(units=units, people=people)


async def proofreader(conn: BaseDBAsyncClient, options: ReviewOptions) -> Proofreader:
    return Proofreader(rules=rule_set(options.wording_file), lexicon=await lexicon(conn))


def text_of(name: str, data: bytes) -> str | None:
    """The text of a .docx (paragraphs, then table cells, one a line) or .txt (UTF-8, else
    GB18030 as Windows editors save it); ``None`` for other files or ones that cannot be read."""
    suffix = PurePath(name).suffix.lower()
    if suffix == ".txt":
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
        return None
    if suffix == ".docx":
        try:
            document = Document(io.BytesIO(data))
        except (zipfile.BadZipFile, KeyError, ValueError) as exc:
            log.info("attachment %s is not a readable .docx: %s", name, exc)
            return None
        lines = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                lines.extend(cell.text for cell in row.cells)
        return "\n".join(lines)
    return None


async def attachment_texts(
    conn: BaseDBAsyncClient, attachments: Sequence[FileRef]
) -> tuple[list[tuple[str, str]], list[str]]:
    """(name, text) of each readable attachment, and the names of .docx/.txt files that could
    not be read (the author is told they were not checked). Images are not read."""
    texts: list[tuple[str, str]] = []
    unreadable: list[str] = []
    for ref in attachments:
        if PurePath(ref.name).suffix.lower() not in READABLE:
            continue
        row = await StoredFileContent.filter(file_id=ref.file_id).using_db(conn).first()
        text = None if row is None else text_of(ref.name, bytes(row.data))
        if text is None:
            unreadable.append(ref.name)
        else:
            texts.append((ref.name, text))
    return texts, unreadable
