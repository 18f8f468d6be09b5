"""The schema of curate 0.1, as its `create_all` made it.

A 0.1 database has these tables and no `alembic_version`; `Store.upgrade` stamps it with
this revision and goes on from here, so old and new databases end up the same.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meta", sa.Column("key", sa.String, primary_key=True), sa.Column("value", sa.String, nullable=False)
    )
    op.create_table(
        "item",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("kind", sa.String, nullable=False, index=True),
        sa.Column("url", sa.String, nullable=False),
        sa.Column("title", sa.String, nullable=False),
        sa.Column("status", sa.String, nullable=False, index=True),
        sa.Column("first_seen", sa.DateTime, nullable=False, index=True),
        sa.Column("fetched_at", sa.DateTime, nullable=False),
        sa.Column("fetch_count", sa.Integer, nullable=False),
        sa.Column("record", sa.JSON, nullable=False),
        sa.Column("payload", sa.Text),
        sa.Column("sources", sa.JSON, nullable=False),
    )
    op.create_table(
        "alias",
        sa.Column("old_id", sa.String, primary_key=True),
        sa.Column("item_id", sa.String, nullable=False, index=True),
    )
    op.create_table(
        "metric",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("item_id", sa.String, nullable=False, index=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False, index=True),
    )
    op.create_table(
        "pending",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("url", sa.String, nullable=False),
        sa.Column("reason", sa.String, nullable=False),
        sa.Column("until", sa.DateTime),
        sa.Column("added", sa.DateTime, nullable=False),
    )
    op.create_table(
        "feed_state",
        sa.Column("url", sa.String, primary_key=True),
        sa.Column("etag", sa.String),
        sa.Column("last_modified", sa.String),
        sa.Column("checked_at", sa.DateTime, nullable=False),
        sa.Column("changed_at", sa.DateTime),
    )
    op.create_table(
        "feed_backlog",
        sa.Column("feed_url", sa.String, primary_key=True),
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("url", sa.String, nullable=False),
        sa.Column("feed", sa.String, nullable=False),
        sa.Column("reason", sa.String, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("until", sa.DateTime),
        sa.Column("added", sa.DateTime, nullable=False),
    )
    op.create_table(
        "feed_dropped",
        sa.Column("feed_url", sa.String, primary_key=True),
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("url", sa.String, nullable=False),
        sa.Column("reason", sa.String, nullable=False),
        sa.Column("dropped_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "issue",
        sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("title", sa.String),
        sa.Column("intro", sa.String, nullable=False),
        sa.Column("since", sa.DateTime),
        sa.Column("until", sa.DateTime),
        sa.Column("item_ids", sa.JSON, nullable=False),
        sa.Column("digests", sa.JSON, nullable=False),
        sa.Column("published_at", sa.DateTime, index=True),
    )
    op.create_table(
        "annotation",
        sa.Column("issue", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("item_id", sa.String, primary_key=True),
        sa.Column("section", sa.String, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("include", sa.Boolean, nullable=False),
        sa.Column("blurb", sa.String, nullable=False),
    )
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.String))
    op.bulk_insert(meta, [{"key": "schema_version", "value": "1"}])
