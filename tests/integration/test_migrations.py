"""The migrations on disk describe exactly the models: nothing was changed without one."""

from __future__ import annotations

from tortoise.context import get_current_context
from tortoise.migrations.autodetector import MigrationAutodetector

from storage.db import tortoise_config


async def test_models_and_migrations_agree(db: str) -> None:
    ctx = get_current_context()
    assert ctx is not None
    assert ctx.apps is not None
    writers = await MigrationAutodetector(ctx.apps, tortoise_config(db)["apps"]).changes()
    pending = [f"{w.app_label}.{w.name}" for w in writers]
    assert pending == [], (
        "models changed without a migration: run `python -m bot db makemigrations <name>`"
    )


def test_no_model_docstring_contains_a_semicolon() -> None:
    """Tortoise puts the docstring into the table comment, and a ';' splits the SQLite DDL."""
    from tortoise.models import Model

    import storage.db as db_module

    for module_name in db_module.MODEL_MODULES:
        module = __import__(module_name, fromlist=["*"])
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Model) and value is not Model:
                assert ";" not in (value.__doc__ or ""), value.__name__
