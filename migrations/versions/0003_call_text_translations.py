"""A call's texts, its criteria and its eligibility questions hold translations

Revision ID: 0003_call_text_translations
Revises: 0002_shortlist_entry_basis
Create Date: 2026-12-08 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0003_call_text_translations"
down_revision = "0002_shortlist_entry_basis"
branch_labels = None
depends_on = None

TABLES = ("calls", "criteria", "eligibility_questions")


def upgrade():
    # Existing texts are in their call's main language; their other languages start empty.
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("translations", sa.JSON(), server_default=sa.text("'{}'"), nullable=False)
            )


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("translations")
