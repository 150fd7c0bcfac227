"""sealed free text: the legal service's free text encrypted at rest

Counselling topics, charges, hearing purposes and outcome notes, document authorities, the
employer and outcome of labour disputes (and any legal note still in clear) are encrypted with
the file keys, as the legal notes already were: the columns become text wide enough for a
Fernet token, and every existing row is encrypted here. Encrypting existing rows needs
``REFNET_FILE_KEYS`` (``refnet migrate`` passes it); an empty database needs none.

Revision ID: 0006_sealed_free_text
Revises: 0005_consent_per_audience
"""
from alembic import op
import sqlalchemy as sa

from services.common.migrations import file_cipher_of_migration

revision = '0006_sealed_free_text'
down_revision = '0005_consent_per_audience'
branch_labels = None
depends_on = None

PREFIX = 'fernet:'

# (table, column, its type before, nullable): frozen here, as the schema was at 0004
COLUMNS = (
    ('counselling_sessions', 'topic', sa.String(200), False),
    ('legal_notes', 'text', sa.Text(), False),
    ('court_cases', 'charges', sa.Text(), False),
    ('hearings', 'purpose', sa.String(200), False),
    ('hearings', 'outcome_note', sa.String(500), True),
    ('document_requests', 'authority', sa.String(200), False),
    ('labour_disputes', 'employer', sa.String(200), False),
    ('labour_disputes', 'outcome', sa.String(500), True),
)


def _alter(to_text: bool) -> None:
    for table, name, before, nullable in COLUMNS:
        if isinstance(before, sa.Text):
            continue
        with op.batch_alter_table(table) as batch:
            batch.alter_column(name, type_=sa.Text() if to_text else before,
                               existing_type=before if to_text else sa.Text(),
                               existing_nullable=nullable)


def _rewrite(change, wanted, columns=COLUMNS) -> None:
    """Apply ``change`` to each stored value of ``columns`` for which ``wanted`` holds."""
    bind = op.get_bind()
    for table, name, _before, _nullable in columns:
        t = sa.table(table, sa.column('id'), sa.column(name))
        rows = bind.execute(sa.select(t.c.id, t.c[name]).where(t.c[name].isnot(None))).all()
        for row_id, value in rows:
            if wanted(value):
                bind.execute(sa.update(t).where(t.c.id == row_id).values({name: change(value)}))


def _needs_cipher(direction: str):
    cipher = file_cipher_of_migration()
    if cipher is None:
        raise RuntimeError(f"REFNET_FILE_KEYS is needed to {direction} the legal service's "
                           "free text: set it and migrate again")
    return cipher


def upgrade() -> None:
    plain = lambda value: not value.startswith(PREFIX)  # noqa: E731
    cipher = _needs_cipher('encrypt') if _any(plain) else None  # before any change
    _alter(to_text=True)
    if cipher is not None:
        _rewrite(lambda value: PREFIX + cipher.encrypt(value.encode()).decode(), plain)


def downgrade() -> None:
    """Back to 0004: the free text in clear again, legal notes still encrypted (as at 0004)."""
    columns = [c for c in COLUMNS if c[0] != 'legal_notes']
    sealed = lambda value: value.startswith(PREFIX)  # noqa: E731
    if _any(sealed, columns):
        cipher = _needs_cipher('decrypt')
        _rewrite(lambda value: cipher.decrypt(value[len(PREFIX):].encode()).decode(), sealed,
                 columns)
    _alter(to_text=False)


def _any(wanted, columns=COLUMNS) -> bool:
    bind = op.get_bind()
    for table, name, _before, _nullable in columns:
        t = sa.table(table, sa.column(name))
        for (value,) in bind.execute(sa.select(t.c[name]).where(t.c[name].isnot(None))):
            if wanted(value):
                return True
    return False
