"""The Alembic migrations create exactly the schema the models describe, on both databases."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from dashboard.store.models import Base


def test_migrations_match_the_models(any_db):
    with any_db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], "models changed without a migration: run scripts/regenerate_initial_migration.sh"


def test_upgrade_twice_is_harmless(sqlite_db):
    from dashboard.store.database import upgrade

    upgrade(sqlite_db.engine)
    upgrade(sqlite_db.engine)
