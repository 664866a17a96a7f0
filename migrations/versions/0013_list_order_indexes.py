"""indexes for the default order of the big back-office lists

Revision ID: 0013_list_order_indexes
Revises: 0012_job_delivery
Create Date: 2026-12-02 18:50:00

The first page of a list sorted by a column without an index sorts the whole table: at the demo's
scale 200 the placement results list took 560 ms in PostgreSQL, 110 ms with the index.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013_list_order_indexes'
down_revision = '0012_job_delivery'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_application_created_at', 'application', 'created_at'),
    ('ix_placement_result_assessed_on', 'placement_result', 'assessed_on'),
    ('ix_enrolment_created_at', 'enrolment', 'created_at'),
    ('ix_case_note_created_at', 'case_note', 'created_at'),
    ('ix_section_starts_on', 'section', 'starts_on'),
)


def upgrade():
    for name, table, column in INDEXES:
        op.create_index(name, table, [column], unique=False)


def downgrade():
    for name, table, _column in reversed(INDEXES):
        op.drop_index(name, table_name=table)
