"""The texts a model drafted (`curate blurb`): blurbs, TL;DR sentences, title ideas.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from pipeline.store import UTCTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "suggestion",
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("subject", sa.String, nullable=False, index=True),
        sa.Column("model", sa.String, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("drafted_at", UTCTime, nullable=False, index=True),
        sa.Column("input_tokens", sa.Integer),
        sa.Column("output_tokens", sa.Integer),
    )
