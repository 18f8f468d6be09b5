"""Alembic migrations of curate's database; `Store.upgrade` runs them (`curate db upgrade`)."""
