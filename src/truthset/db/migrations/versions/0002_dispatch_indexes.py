"""dispatch indexes that keep a lease's cost flat with the size of the job

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_user_status")
        batch_op.create_index(
            "ix_tasks_user_status_job", ["user_id", "status", "job_id"], unique=False
        )
        batch_op.create_index("ix_tasks_job_user", ["job_id", "user_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_job_user")
        batch_op.drop_index("ix_tasks_user_status_job")
        batch_op.create_index("ix_tasks_user_status", ["user_id", "status"], unique=False)
