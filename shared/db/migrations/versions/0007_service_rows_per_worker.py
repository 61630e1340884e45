"""service rows per worker

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 06:40:00

Several launchers (one per worker) share one database (docs/contracts.md, Workers on several machines): each keeps
its own ``service_status`` rows, keyed by ``(worker_id, service_name)`` instead of the service name alone, and tags
its ``health_check`` and ``service_log`` rows with its worker id.

The rows already there were written by one launcher: they get the worker id of the launcher that migrates
(``shared.db.migrate.upgrade_to_head(engine, worker_id=...)``). Migrated without one, the status rows get ``''``,
which the next launcher to write a service's status takes as its own, and the history rows stay NULL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

WORKER_ID = sa.String(length=100)
HISTORY_TABLES = ("health_check", "service_log")


def _migrating_worker_id() -> str:
    worker_id = context.config.attributes.get("worker_id") or ""
    return str(worker_id)


def upgrade() -> None:
    worker_id = _migrating_worker_id()
    with op.batch_alter_table("service_status") as batch:
        batch.add_column(sa.Column("worker_id", WORKER_ID, nullable=True))
    status = sa.table("service_status", sa.column("worker_id", WORKER_ID))
    op.execute(status.update().values(worker_id=worker_id))
    with op.batch_alter_table("service_status") as batch:
        batch.alter_column("worker_id", existing_type=WORKER_ID, nullable=False)
        batch.drop_constraint("uq_service_status_service_name", type_="unique")
        batch.create_unique_constraint("uq_service_status_worker_id_service_name", ["worker_id", "service_name"])

    for name in HISTORY_TABLES:
        with op.batch_alter_table(name) as batch:
            batch.add_column(sa.Column("worker_id", WORKER_ID, nullable=True))
        if worker_id:
            op.execute(sa.table(name, sa.column("worker_id", WORKER_ID)).update().values(worker_id=worker_id))


def downgrade() -> None:
    for name in reversed(HISTORY_TABLES):
        with op.batch_alter_table(name) as batch:
            batch.drop_column("worker_id")
    # One row per service again: of several workers' rows for a service, the most recently updated stays.
    op.execute(
        sa.text(
            "DELETE FROM service_status WHERE EXISTS (SELECT 1 FROM service_status AS newer"
            " WHERE newer.service_name = service_status.service_name"
            " AND (newer.updated_at > service_status.updated_at"
            " OR (newer.updated_at = service_status.updated_at AND newer.id > service_status.id)))"
        )
    )
    with op.batch_alter_table("service_status") as batch:
        batch.drop_constraint("uq_service_status_worker_id_service_name", type_="unique")
        batch.create_unique_constraint("uq_service_status_service_name", ["service_name"])
        batch.drop_column("worker_id")
