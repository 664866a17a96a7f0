"""application events: internal notes (for staff only)

Revision ID: 0011_event_internal
Revises: 0010_group_request_exam_unique
Create Date: 2026-12-02 14:40:00

Notes recorded before this revision were all shown to the learner: they stay visible (false).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_event_internal'
down_revision = '0010_group_request_exam_unique'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('application_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('internal', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('application_event', schema=None) as batch_op:
        batch_op.drop_column('internal')
