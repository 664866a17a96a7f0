"""job delivery: cancelled jobs, scheduled-work keys, class-start reminders

Revision ID: 0012_job_delivery
Revises: 0011_event_internal
Create Date: 2026-12-02 14:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_job_delivery'
down_revision = '0011_event_internal'
branch_labels = None
depends_on = None

OLD = ('pending', 'queued', 'running', 'done', 'failed')
NEW = OLD + ('cancelled',)


def _status_values(table, constraint, values):
    """Replace the CHECK of a VARCHAR status column (an Enum stored as text) by one over ``values``."""
    if op.get_bind().dialect.name == 'sqlite':
        # batch mode rebuilds the table; the CHECK comes from the new type
        with op.batch_alter_table(table, recreate='always') as batch_op:
            batch_op.alter_column('status', existing_type=sa.String(length=24), existing_nullable=False,
                                  type_=sa.Enum(*values, name=constraint, native_enum=False,
                                                create_constraint=True, length=24))
    else:
        op.drop_constraint(constraint, table, type_='check')
        op.create_check_constraint(constraint, table, sa.column('status').in_(values))


def upgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key', sa.String(length=120), nullable=True))
        batch_op.create_unique_constraint('uq_job_key', ['key'])
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))
    _status_values('job', 'job_status', NEW)
    _status_values('report_run', 'report_status', NEW)


def downgrade():
    op.execute("UPDATE job SET status = 'failed' WHERE status = 'cancelled'")
    op.execute("UPDATE report_run SET status = 'failed' WHERE status = 'cancelled'")
    _status_values('report_run', 'report_status', OLD)
    _status_values('job', 'job_status', OLD)
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.drop_column('reminded_at')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_constraint('uq_job_key', type_='unique')
        batch_op.drop_column('key')
