"""Foreign keys, times as ISO 8601 UTC, figures as integers.

- alias, metric and annotation rows point at their item (and an annotation at its issue),
  a feed's backlog and dropped links at the feed's state: declared as foreign keys, so a
  reader such as Datasette links them.
- Times: `timestamptz` on PostgreSQL; on SQLite text such as `2026-11-30T19:08:09.123456Z`
  (0.1 wrote `2026-11-30 19:08:09.123456`, UTC without saying so).
- metric.value: an integer (stars were `812.0`).
- meta.schema_version becomes 2, so curate 0.1 refuses the database instead of writing to it.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIMES = {
    "item": ("first_seen", "fetched_at"),
    "metric": ("at",),
    "pending": ("until", "added"),
    "feed_state": ("checked_at", "changed_at"),
    "feed_backlog": ("until", "added"),
    "feed_dropped": ("dropped_at",),
    "issue": ("since", "until", "published_at"),
}
FOREIGN_KEYS = {  # table: [(name, columns, referred table, referred columns)]
    "alias": [("fk_alias_item_id_item", ["item_id"], "item", ["id"])],
    "metric": [("fk_metric_item_id_item", ["item_id"], "item", ["id"])],
    "annotation": [
        ("fk_annotation_item_id_item", ["item_id"], "item", ["id"]),
        ("fk_annotation_issue_issue", ["issue"], "issue", ["number"]),
    ],
    "feed_backlog": [("fk_feed_backlog_feed_url_feed_state", ["feed_url"], "feed_state", ["url"])],
    "feed_dropped": [("fk_feed_dropped_feed_url_feed_state", ["feed_url"], "feed_state", ["url"])],
}


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, columns in TIMES.items():
        if sqlite:  # the column stays DATETIME; its text gets the T and the Z
            for c in columns:
                op.execute(
                    f"UPDATE {table} SET {c} = replace({c}, ' ', 'T') || 'Z' "
                    f"WHERE {c} IS NOT NULL AND {c} NOT LIKE '%Z'"
                )
        else:
            with op.batch_alter_table(table) as batch:
                for c in columns:
                    batch.alter_column(
                        c,
                        type_=sa.DateTime(timezone=True),
                        existing_type=sa.DateTime(),
                        postgresql_using=f"{c} AT TIME ZONE 'UTC'",
                    )
    with op.batch_alter_table("metric") as batch:
        batch.alter_column(
            "value",
            type_=sa.BigInteger(),
            existing_type=sa.Float(),
            existing_nullable=False,
            postgresql_using="round(value)::bigint",
        )
    for table, keys in FOREIGN_KEYS.items():
        with op.batch_alter_table(table) as batch:
            for name, local_columns, referred, referred_columns in keys:
                batch.create_foreign_key(name, referred, local_columns, referred_columns)
    op.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
