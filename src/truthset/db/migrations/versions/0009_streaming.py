"""streaming jobs: de-duplication ids, published output lines, last input time

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_input_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("data_objects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dedup_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("published", sa.Boolean(), nullable=True))
        batch_op.create_index("ix_data_objects_job_dedup", ["job_id", "dedup_key"], unique=True)
        batch_op.create_index(
            "ix_data_objects_job_published", ["job_id", "published"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("data_objects", schema=None) as batch_op:
        batch_op.drop_index("ix_data_objects_job_published")
        batch_op.drop_index("ix_data_objects_job_dedup")
        batch_op.drop_column("published")
        batch_op.drop_column("dedup_key")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("last_input_at")
