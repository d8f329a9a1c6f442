"""results explorer: labels an admin chose, which consolidation leaves alone; model workers

Revision ID: 0013
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN with a constant default: SQLite does not rewrite the table, so this is
    # instant on a million-object job too.
    op.add_column(
        "data_objects",
        sa.Column("overridden", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("users", sa.Column("model_hook", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("data_objects", schema=None) as batch_op:
        batch_op.drop_column("overridden")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("model_hook")
