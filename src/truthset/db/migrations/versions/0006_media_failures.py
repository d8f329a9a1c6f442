"""media failures: how often a data object's media could not be read (reads are bounded)

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("data_objects", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("media_failures", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("data_objects", schema=None) as batch_op:
        batch_op.alter_column("media_failures", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("data_objects", schema=None) as batch_op:
        batch_op.drop_column("media_failures")
