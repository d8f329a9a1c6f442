"""augmented AI: flow definitions and human loops

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flow_definitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("output_path", sa.String(length=1024), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["jobs.id"],
            name=op.f("fk_flow_definitions_job_id_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_definitions")),
        sa.UniqueConstraint("job_id", name=op.f("uq_flow_definitions_job_id")),
        sa.UniqueConstraint("name", name=op.f("uq_flow_definitions_name")),
    )
    op.create_index("ix_flow_definitions_created", "flow_definitions", ["created_at"])
    op.create_table(
        "human_loops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("flow_id", sa.Integer(), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("input_sha256", sa.String(length=64), nullable=False),
        sa.Column("failure_reason", sa.String(length=1024), nullable=True),
        sa.Column("output_uri", sa.String(length=2048), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["flow_id"],
            ["flow_definitions.id"],
            name=op.f("fk_human_loops_flow_id_flow_definitions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_human_loops")),
        sa.UniqueConstraint("name", name=op.f("uq_human_loops_name")),
    )
    op.create_index("ix_human_loops_flow_created", "human_loops", ["flow_id", "created_at"])
    op.create_index(
        "ix_human_loops_flow_status", "human_loops", ["flow_id", "status", "created_at"]
    )
    op.create_index("ix_human_loops_flow_object", "human_loops", ["flow_id", "object_id"])


def downgrade() -> None:
    op.drop_table("human_loops")
    op.drop_table("flow_definitions")
