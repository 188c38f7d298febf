"""Copy every row from one database to another (moving from SQLite to PostgreSQL).

The target is migrated first and must be empty. Rows keep their ids (audit entries, cards and
outbox rows refer to each other by id, and the audit chain hashes them), tables are filled
parents first, and on PostgreSQL the id sequences are moved past the copied ids.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tortoise import Tortoise
from tortoise.models import Model
from tortoise.transactions import in_transaction

from storage.db import close_db, normalise_url, tortoise_config, upgrade

BATCH = 500


class CopyError(RuntimeError):
    pass


def _models() -> list[type[Model]]:
    """Every model, parents before children (foreign keys point backwards)."""
    models = list(Tortoise.apps["models"].values())
    ordered: list[type[Model]] = []
    seen: set[type[Model]] = set()

    def visit(model: type[Model], trail: tuple[type[Model], ...]) -> None:
        if model in seen or model in trail:
            return
        for name in (*model._meta.fk_fields, *model._meta.o2o_fields):
            parent = model._meta.fields_map[name].related_model  # type: ignore[attr-defined]
            if parent is not model:
                visit(parent, (*trail, model))
        seen.add(model)
        ordered.append(model)

    for model in models:
        visit(model, ())
    return ordered


def _values(model: type[Model], row: Model) -> dict[str, Any]:
    return {name: getattr(row, name) for name in model._meta.fields_db_projection}


async def _read_all(source_url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of the source, by table. In memory: tortoise builds a query in its model's
    own dialect, so rows cannot stream from a SQLite connection into a PostgreSQL one; the
    databases this tool moves (one office's years of work) fit in memory many times over."""
    config = tortoise_config(source_url)
    # Its own connection name: tortoise caches each model's INSERT per connection name, and a
    # SQLite "default" would hand the PostgreSQL target SQLite's placeholders.
    config["connections"] = {"source": config["connections"]["default"]}
    config["apps"]["models"]["default_connection"] = "source"
    await Tortoise.init(config=config)
    try:
        data: dict[str, list[dict[str, Any]]] = {}
        for model in _models():
            pk = model._meta.pk_attr
            rows: list[dict[str, Any]] = []
            last: Any = None
            while True:
                query = model.all().order_by(pk).limit(BATCH)
                if last is not None:
                    query = query.filter(**{f"{pk}__gt": last})
                batch = await query
                if not batch:
                    break
                rows += [_values(model, r) for r in batch]
                last = getattr(batch[-1], pk)
            data[model._meta.db_table] = rows
        return data
    finally:
        await close_db()


async def copy_database(
    source_url: str, target_url: str, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Copy all rows; returns rows copied per table. Raises ``CopyError`` when the target
    already holds data (nothing is written then)."""
    if normalise_url(source_url) == normalise_url(target_url):
        raise CopyError("源数据库和目标数据库是同一个")
    await upgrade(target_url)
    await close_db()
    data = await _read_all(source_url)
    await Tortoise.init(config=tortoise_config(target_url))
    counts: dict[str, int] = {}
    try:
        models = _models()
        for model in models:
            if await model.exists():
                raise CopyError(
                    f"目标数据库的 {model._meta.db_table} 表已有数据：只能复制到空数据库"
                )
        async with in_transaction() as conn:
            for model in models:
                table = model._meta.db_table
                rows = data.get(table, [])
                for start in range(0, len(rows), BATCH):
                    # Built with their primary keys, so the ids are inserted, not new ones.
                    objects = [model(**values) for values in rows[start : start + BATCH]]
                    await model.bulk_create(objects, using_db=conn)
                counts[table] = len(rows)
                if progress is not None:
                    progress(table, len(rows))
            if conn.capabilities.dialect == "postgres":
                for model in models:
                    pk_field = model._meta.pk
                    if not pk_field.generated:
                        continue
                    table = model._meta.db_table
                    column = pk_field.source_field or pk_field.model_field_name
                    await conn.execute_query(
                        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
                        f'COALESCE(MAX("{column}"), 1), MAX("{column}") IS NOT NULL) '
                        f'FROM "{table}"'
                    )
    finally:
        await close_db()
    return counts
