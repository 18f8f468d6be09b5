"""The editor's TL;DR: one sentence per section key, on the issue (`issue.tldr`, `{}` when none).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # rows already stored get an empty mapping: no issue had a TL;DR of the editor's before. A plain
    # ADD COLUMN (SQLite has it): a batch copy of the table would break the annotations' foreign keys
    op.add_column("issue", sa.Column("tldr", sa.JSON, nullable=False, server_default=sa.text("'{}'")))
