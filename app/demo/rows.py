"""Writing demo rows: look up by natural key or create, and plain inserts in batches."""
from __future__ import annotations

import unicodedata

from sqlalchemy import insert, select
from sqlalchemy.orm import Session


def ensure(session: Session, model, key_of, wanted: list[tuple[object, dict]]) -> dict:
    """Every row of ``model`` by key, creating the wanted rows whose key is not there yet."""
    existing = {key_of(row): row for row in session.scalars(select(model))}
    for key, values in wanted:
        if key not in existing:
            row = model(**values)
            session.add(row)
            existing[key] = row
    session.flush()
    return existing


def bulk(session: Session, model, rows: list[dict], chunk: int = 5000) -> None:
    """Insert plain rows in batches (no ORM objects: these tables are the large ones)."""
    for start in range(0, len(rows), chunk):
        session.execute(insert(model), rows[start:start + chunk])


def slug(text: str) -> str:
    """Lower-case ASCII letters and digits of a name, for e-mail addresses and usernames."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())
