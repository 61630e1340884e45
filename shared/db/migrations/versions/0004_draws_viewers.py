"""lucky draws; viewer history indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 00:50:00

comment_data gets its own ``user_id`` column (until now only inside ``metadata``), filled from the stored rows, so
one viewer's comments are an index range; live_events already has one and gets the matching index. Both indexes
end with session_id so a viewer's per-session summary is read from the index alone. Masked viewers
(marked ``masked``, or stored earlier under the shared placeholder id 111111) keep NULL: they have no history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_PLACEHOLDER = "111111"  # shared/events.py MASKED_USER_ID at the time of this migration


def upgrade() -> None:
    op.create_table(
        "lucky_draws",
        sa.Column("draw_id", sa.String(length=32), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("keyword", sa.Text(), nullable=False),
        sa.Column("since_ms", sa.BigInteger(), nullable=False),
        sa.Column("until_ms", sa.BigInteger(), nullable=False),
        sa.Column("winners_wanted", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("entrants", sa.Integer(), nullable=False),
        sa.Column("winners", sa.JSON(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("draw_id", name=op.f("pk_lucky_draws")),
    )
    with op.batch_alter_table("lucky_draws", schema=None) as batch_op:
        batch_op.create_index("ix_lucky_draws_session_created", ["session_id", "created_ms"], unique=False)

    with op.batch_alter_table("comment_data", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.String(length=64), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        uid, masked = "(metadata::jsonb ->> 'user_id')", "(metadata::jsonb -> 'user' ->> 'masked')"
    else:
        uid, masked = "json_extract(metadata, '$.user_id')", "CAST(json_extract(metadata, '$.user.masked') AS TEXT)"
    op.execute(
        f"UPDATE comment_data SET user_id = {uid} "  # noqa: S608 - constant SQL
        f"WHERE {uid} <> '' AND {uid} <> '{_PLACEHOLDER}' AND COALESCE({masked}, '') NOT IN ('true', '1')"
    )
    with op.batch_alter_table("comment_data", schema=None) as batch_op:
        batch_op.create_index("ix_comment_data_user_ts", ["user_id", "timestamp", "session_id"], unique=False)
    with op.batch_alter_table("live_events", schema=None) as batch_op:
        batch_op.create_index("ix_live_events_user_type_ts", ["user_id", "type", "ts", "session_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("live_events", schema=None) as batch_op:
        batch_op.drop_index("ix_live_events_user_type_ts")
    with op.batch_alter_table("comment_data", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_data_user_ts")
        batch_op.drop_column("user_id")
    with op.batch_alter_table("lucky_draws", schema=None) as batch_op:
        batch_op.drop_index("ix_lucky_draws_session_created")
    op.drop_table("lucky_draws")
