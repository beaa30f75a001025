"""Observations keep the ad's stated price per hour, as whole SEK (issue 6); never the price text.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("observation") as batch:
        batch.add_column(sa.Column("price_per_hour", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("observation") as batch:
        batch.drop_column("price_per_hour")
