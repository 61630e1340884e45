"""overlay keys

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 03:05:00

The OBS overlay's read-only keys (docs/contracts.md, Overlay), each with its style; a revoked key keeps its row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "overlay_keys",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("style", sa.JSON(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("revoked_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_overlay_keys")),
    )


def downgrade() -> None:
    op.drop_table("overlay_keys")
