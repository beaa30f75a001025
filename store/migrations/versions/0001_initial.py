"""Initial schema: site, crawl_run and observation.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="uq_site_name"),
    )
    op.create_table(
        "crawl_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("observed_at", sa.DateTime(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("parse_failures", sa.Integer(), nullable=False),
        sa.Column("listing_pages", sa.Integer(), nullable=False),
        sa.Column("finish_reason", sa.String(length=64), nullable=True),
        sa.Column("config_version", sa.String(length=64), nullable=False),
        sa.Column("parser_version", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name="fk_crawl_run_site"),
    )
    op.create_index("ix_crawl_run_site_started", "crawl_run", ["site_id", "started_at"])
    op.create_table(
        "observation",
        # BIGINT on PostgreSQL; SQLite only auto-increments an INTEGER primary key.
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("ad_token", sa.String(length=64), nullable=False),
        sa.Column("profile_token", sa.String(length=64), nullable=True),
        sa.Column("phone_token", sa.String(length=64), nullable=True),
        sa.Column("kommun_code", sa.String(length=4), nullable=True),
        sa.Column("unresolved_reason", sa.String(length=16), nullable=True),
        sa.Column("category", sa.String(length=8), nullable=False),
        sa.Column("observed_at", sa.DateTime(), nullable=False),
        sa.Column("posted_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["run_id"], ["crawl_run.id"], name="fk_observation_run"),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name="fk_observation_site"),
        sa.UniqueConstraint("run_id", "ad_token", name="uq_observation_run_ad"),
    )
    op.create_index("ix_observation_observed_at", "observation", ["observed_at"])
    op.create_index("ix_observation_kommun_code", "observation", ["kommun_code"])


def downgrade() -> None:
    op.drop_index("ix_observation_kommun_code", table_name="observation")
    op.drop_index("ix_observation_observed_at", table_name="observation")
    op.drop_table("observation")
    op.drop_index("ix_crawl_run_site_started", table_name="crawl_run")
    op.drop_table("crawl_run")
    op.drop_table("site")
