"""A full-text index of every item's title, authors and abstract or description (`curate search`).

SQLite: an FTS5 table `item_search` (porter stemming, diacritics folded), one row per item,
its rowid derived from the item id. PostgreSQL: a `tsvector` per item in `item_search`, GIN
indexed. The store keeps it current on every save; here it is filled for what is stored.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from pipeline.store import index_for_search

    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE item_search USING fts5("
            "id UNINDEXED, title, authors, body, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
    else:
        op.create_table(
            "item_search",
            sa.Column("id", sa.String, sa.ForeignKey("item.id", name="fk_item_search_id_item"), primary_key=True),
            sa.Column("document", sa.dialects.postgresql.TSVECTOR, nullable=False),
        )
        op.create_index("ix_item_search_document", "item_search", ["document"], postgresql_using="gin")
    rows = conn.execute(sa.text("SELECT id, title, record FROM item")).all()
    index_for_search(conn, [(r.id, r.title, r.record) for r in rows])
