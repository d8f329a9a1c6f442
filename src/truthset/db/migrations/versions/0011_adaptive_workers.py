"""adaptive workers per object: how many answers an open object is wanted for now

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for every object of a job with a fixed number of workers per object: the lease's
    # condition then falls back to the job's number, so existing rows need no backfill.
    with op.batch_alter_table("data_objects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wanted", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("data_objects", schema=None) as batch_op:
        batch_op.drop_column("wanted")
