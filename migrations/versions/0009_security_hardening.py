"""security hardening II: encrypted TOTP secrets, API token version, pending employer link

Revision ID: 0009_security_hardening
Revises: 0008_report_indexes
Create Date: 2026-12-02 14:30:00

The TOTP secrets already stored in clear are encrypted here with the running configuration's
key (``TOTP_ENCRYPTION_KEY``, or the one derived from ``SECRET_KEY`` in embedded mode), so the
upgrade must run with the same configuration as the application. The downgrade decrypts them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_security_hardening'
down_revision = '0008_report_indexes'
branch_labels = None
depends_on = None

security = sa.table('account_security', sa.column('user_id', sa.Integer), sa.column('totp_secret', sa.String))


def _rewrite_secrets(transform) -> None:
    from flask import current_app

    bind = op.get_bind()
    rows = bind.execute(sa.select(security.c.user_id, security.c.totp_secret)
                        .where(security.c.totp_secret.is_not(None))).all()
    for user_id, value in rows:
        bind.execute(security.update().where(security.c.user_id == user_id)
                     .values(totp_secret=transform(value, current_app.config)))


def upgrade():
    from app.services.secret_box import encrypt

    with op.batch_alter_table('account_security', schema=None) as batch_op:
        batch_op.add_column(sa.Column('api_token_version', sa.Integer(), server_default='0', nullable=False))
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=64), type_=sa.String(length=255),
                              existing_nullable=True)
    _rewrite_secrets(encrypt)

    with op.batch_alter_table('learner', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending_enterprise_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_learner_pending_enterprise_id'), ['pending_enterprise_id'], unique=False)
        batch_op.create_foreign_key('fk_learner_pending_enterprise', 'enterprise', ['pending_enterprise_id'], ['id'])


def downgrade():
    from app.services.secret_box import decrypt

    with op.batch_alter_table('learner', schema=None) as batch_op:
        batch_op.drop_constraint('fk_learner_pending_enterprise', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_learner_pending_enterprise_id'))
        batch_op.drop_column('pending_enterprise_id')

    _rewrite_secrets(decrypt)
    with op.batch_alter_table('account_security', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=255), type_=sa.String(length=64),
                              existing_nullable=True)
        batch_op.drop_column('api_token_version')
