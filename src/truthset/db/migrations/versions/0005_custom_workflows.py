"""custom workflows: hook results on data objects, registered hooks, human task UIs

Revision ID: 0005
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("data_objects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("task_input", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("hook_attempts", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("data_objects", schema=None) as batch_op:
        batch_op.alter_column("hook_attempts", server_default=None)
    op.create_table(
        "hooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("name_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hooks")),
        sa.UniqueConstraint("name_key", name=op.f("uq_hooks_name_key")),
    )
    op.create_table(
        "human_task_uis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("name_key", sa.String(length=63), nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_human_task_uis")),
        sa.UniqueConstraint("name_key", name=op.f("uq_human_task_uis_name_key")),
    )


def downgrade() -> None:
    op.drop_table("human_task_uis")
    op.drop_table("hooks")
    with op.batch_alter_table("data_objects", schema=None) as batch_op:
        batch_op.drop_column("hook_attempts")
        batch_op.drop_column("task_input")
