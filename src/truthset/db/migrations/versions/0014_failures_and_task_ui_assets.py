"""failure listings and human task UI assets: when each data object failed; the files a
stored human task UI refers to by relative path, stored beside it

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable ADD COLUMN: no table rewrite on SQLite or PostgreSQL, instant on a large job.
    op.add_column("data_objects", sa.Column("failed_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("data_objects", schema=None) as batch_op:
        batch_op.drop_column("failed_at")
