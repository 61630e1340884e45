"""recording workers

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 06:10:00

Recordings on several workers (docs/contracts.md, Workers on several machines): which worker runs (or last ran) a
recording, and on which worker's disk each of its files lives. NULL for rows written before (one machine).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.add_column(sa.Column("worker_id", sa.String(length=100), nullable=True))
    with op.batch_alter_table("recording_files") as batch:
        batch.add_column(sa.Column("worker_id", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recording_files") as batch:
        batch.drop_column("worker_id")
    with op.batch_alter_table("recordings") as batch:
        batch.drop_column("worker_id")
