"""Run health (detail pages, field fill rates, failed checks, the crawl's own status) and leases.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_run") as batch:
        batch.add_column(sa.Column("detail_pages", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("fill_rates", sa.Text(), nullable=True))
        batch.add_column(sa.Column("health", sa.Text(), nullable=True))
        batch.add_column(sa.Column("crawl_status", sa.String(length=16), nullable=True))
    op.create_table(
        "lease",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("acquired_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("lease")
    with op.batch_alter_table("crawl_run") as batch:
        batch.drop_column("crawl_status")
        batch.drop_column("health")
        batch.drop_column("fill_rates")
        batch.drop_column("detail_pages")
