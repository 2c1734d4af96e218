"""Shortlist entries record the reviews they were computed from

Revision ID: 0002_shortlist_entry_basis
Revises: 0001_initial
Create Date: 2026-12-03 17:10:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0002_shortlist_entry_basis"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade():
    # Nullable: entries compiled before this revision have no record of their reviews, and
    # publishing treats them as not known to match.
    with op.batch_alter_table("shortlist_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reviews_counted", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reviews_digest", sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table("shortlist_entries", schema=None) as batch_op:
        batch_op.drop_column("reviews_digest")
        batch_op.drop_column("reviews_counted")
