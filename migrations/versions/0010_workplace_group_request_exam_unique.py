"""workplace group tied to its request; one exam result per learner, group, skill and day

Revision ID: 0010_group_request_exam_unique
Revises: 0009_security_hardening
Create Date: 2026-12-02 15:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_group_request_exam_unique'
down_revision = '0009_security_hardening'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('section', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enterprise_request_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_section_enterprise_request_id'), ['enterprise_request_id'], unique=False)
        batch_op.create_foreign_key('fk_section_enterprise_request', 'enterprise_request',
                                    ['enterprise_request_id'], ['id'])

    # Before the constraint, a duplicate could only come from the generated back office: the
    # latest entry of a learner, group, skill and day is the one kept (it corrected the earlier).
    op.execute(sa.text(
        "DELETE FROM exam_result WHERE section_id IS NOT NULL AND id NOT IN ("
        "SELECT MAX(id) FROM exam_result WHERE section_id IS NOT NULL "
        "GROUP BY learner_id, section_id, skill, taken_on)"))
    with op.batch_alter_table('exam_result', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_exam_result', ['learner_id', 'section_id', 'skill', 'taken_on'])


def downgrade():
    with op.batch_alter_table('exam_result', schema=None) as batch_op:
        batch_op.drop_constraint('uq_exam_result', type_='unique')

    with op.batch_alter_table('section', schema=None) as batch_op:
        batch_op.drop_constraint('fk_section_enterprise_request', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_section_enterprise_request_id'))
        batch_op.drop_column('enterprise_request_id')
