"""The demand side (issue 9): buyers' ads (request_observation) and buyer review events (review_event).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, nullable=False)


def upgrade() -> None:
    op.create_table(
        "request_observation",
        _id(),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("crawl_run.id", name="fk_request_observation_run"), nullable=False),
        sa.Column("site_id", sa.Integer(), sa.ForeignKey("site.id", name="fk_request_observation_site"), nullable=False),
        sa.Column("ad_token", sa.String(length=64), nullable=False),
        sa.Column("kommun_code", sa.String(length=4), nullable=True),
        sa.Column("unresolved_reason", sa.String(length=16), nullable=True),
        sa.Column("observed_at", sa.DateTime(), nullable=False),
        sa.Column("posted_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("run_id", "ad_token", name="uq_request_observation_run_ad"),
    )
    op.create_index("ix_request_observation_observed_at", "request_observation", ["observed_at"])
    op.create_table(
        "review_event",
        _id(),
        sa.Column("site_id", sa.Integer(), sa.ForeignKey("site.id", name="fk_review_event_site"), nullable=False),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("crawl_run.id", name="fk_review_event_run"), nullable=False),
        sa.Column("review_token", sa.String(length=64), nullable=False),
        sa.Column("reviewer_token", sa.String(length=64), nullable=True),
        sa.Column("profile_token", sa.String(length=64), nullable=True),
        sa.Column("kommun_code", sa.String(length=4), nullable=True),
        sa.Column("unresolved_reason", sa.String(length=16), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("observed_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("site_id", "review_token", name="uq_review_event_site_review"),
    )
    op.create_index("ix_review_event_reviewed_at", "review_event", ["reviewed_at"])


def downgrade() -> None:
    op.drop_index("ix_review_event_reviewed_at", table_name="review_event")
    op.drop_table("review_event")
    op.drop_index("ix_request_observation_observed_at", table_name="request_observation")
    op.drop_table("request_observation")
