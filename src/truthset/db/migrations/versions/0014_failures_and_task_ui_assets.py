"""failure listings, human task UI assets, gold hooks: when each data object failed; the files
a stored human task UI refers to by relative path, stored beside it; the score a custom job's
gold hook gave each answer to a gold question

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
    op.add_column("annotations", sa.Column("gold_score", sa.Float(), nullable=True))
    op.add_column("annotations", sa.Column("gold_error", sa.String(length=1024), nullable=True))
    op.create_table(
        "human_task_ui_assets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_ui_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_ui_id"],
            ["human_task_uis.id"],
            name=op.f("fk_human_task_ui_assets_task_ui_id_human_task_uis"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_human_task_ui_assets")),
        sa.UniqueConstraint("task_ui_id", "name", name="uq_task_ui_assets_name"),
    )


def downgrade() -> None:
    op.drop_table("human_task_ui_assets")
    with op.batch_alter_table("annotations", schema=None) as batch_op:
        batch_op.drop_column("gold_error")
        batch_op.drop_column("gold_score")
    with op.batch_alter_table("data_objects", schema=None) as batch_op:
        batch_op.drop_column("failed_at")
