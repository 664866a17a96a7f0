"""reports: index of a learner's enrolments by status (see docs/PERFORMANCE.md, reports)

Revision ID: 0008_report_indexes
Revises: 0007_report_exports
Create Date: 2026-12-02 15:35:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008_report_indexes'
down_revision = '0007_report_exports'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.create_index('ix_enrolment_learner_status', ['learner_id', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.drop_index('ix_enrolment_learner_status')
