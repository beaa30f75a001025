"""Observations keep keyed MinHash sketches of the ad's wording and ad-feature booleans (issue 6).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FEATURES = ("obscured_phone", "stated_ethnicity", "youth_language", "trust_language", "stated_touring")


def upgrade() -> None:
    with op.batch_alter_table("observation") as batch:
        batch.add_column(sa.Column("text_sketch", sa.String(length=88), nullable=True))
        batch.add_column(sa.Column("template_sketch", sa.String(length=88), nullable=True))
        for name in _FEATURES:
            batch.add_column(sa.Column(name, sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("tour_kommun_code", sa.String(length=4), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("observation") as batch:
        batch.drop_column("tour_kommun_code")
        for name in reversed(_FEATURES):
            batch.drop_column(name)
        batch.drop_column("template_sketch")
        batch.drop_column("text_sketch")
