"""Columns encrypted at rest with the file keys (``REFNET_FILE_KEYS``, Fernet), declared once
per service and rotated from that declaration.

* Each service's ``tables.py`` names its encrypted columns in ``ENCRYPTED`` (an ``AtRest``):
  the service seals and opens values through it, and ``refnet rotate-keys`` re-encrypts every
  column it names, so a column declared encrypted is also rotated.
* A binary column (``LargeBinary``) holds the Fernet token; the service encrypts and decrypts
  explicitly (``AtRest.seal``/``AtRest.open``, checked against the declaration).
* A ``Sealed`` text column holds ``fernet:`` and the token, encrypted on every write and
  decrypted on every read by SQLAlchemy with the process's keys (``use_keys``, set when a
  service starts): no query or view can forget it. Text without the prefix (written before the
  column was encrypted) reads as it is and is encrypted by the next rotation. A process without
  keys (a bare unit test) stores text as given. A ``WHERE`` on a sealed column compares
  ciphertexts and never matches: such columns are not searched or filtered on.
"""

from dataclasses import dataclass

from sqlalchemy import Column, LargeBinary, Text, column, select, table, update
from sqlalchemy.types import TypeDecorator

TEXT_PREFIX = "fernet:"
BATCH = 200


class _Keys:
    cipher = None  # the process's FileCipher (services.common.sealing), None without keys


_KEYS = _Keys()


def use_keys(cipher) -> None:
    """The cipher ``Sealed`` columns use in this process (None: they can neither store nor
    read personal text; there is no storing in clear)."""
    _KEYS.cipher = cipher


def current_keys():
    """The cipher ``Sealed`` columns use now (None when the process has no keys)."""
    return _KEYS.cipher


def seal_text(cipher, text: str) -> str:
    """Text as stored: ``fernet:`` and the token under ``cipher``; refused without a cipher
    (never stored in clear)."""
    if cipher is None:
        raise RuntimeError("this text is encrypted at rest: REFNET_FILE_KEYS is needed")
    return TEXT_PREFIX + cipher.encrypt(text.encode()).decode()


def open_text(cipher, stored: str) -> str:
    """The text of a stored value; an encrypted value needs the cipher."""
    if not stored.startswith(TEXT_PREFIX):
        return stored
    if cipher is None:
        raise RuntimeError("this text is encrypted at rest: REFNET_FILE_KEYS is needed")
    return cipher.decrypt(stored[len(TEXT_PREFIX):].encode()).decode()


class Sealed(TypeDecorator):
    """Free text encrypted at rest with the process's file keys (``use_keys``)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else seal_text(_KEYS.cipher, value)

    def process_result_value(self, value, dialect):
        return None if value is None else open_text(_KEYS.cipher, value)


@dataclass(frozen=True)
class _Declared:
    table: str
    name: str
    key: str       # the table's primary key column
    binary: bool   # LargeBinary (token) or Sealed text (prefix + token)

    @property
    def label(self) -> str:
        return f"{self.table}.{self.name}"


def _declared(col: Column) -> _Declared:
    keys = list(col.table.primary_key.columns)
    if len(keys) != 1:
        raise ValueError(f"{col.table.name}: an encrypted column needs a one-column primary key")
    if isinstance(col.type, LargeBinary):
        binary = True
    elif isinstance(col.type, Sealed):
        binary = False
    else:
        raise TypeError(f"{col.table.name}.{col.name}: encrypted columns are LargeBinary or Sealed")
    return _Declared(col.table.name, col.name, keys[0].name, binary)


class AtRest:
    """A service's encrypted columns: the one list its code and the key rotation both read."""

    def __init__(self, *columns: Column):
        self.columns = tuple(_declared(c) for c in columns)
        self._names = {(c.table, c.name) for c in self.columns}

    @classmethod
    def of(cls, metadata, *binary_columns: Column) -> "AtRest":
        """Every ``Sealed`` column of ``metadata``, and the binary columns the service encrypts."""
        sealed = [c for t in metadata.sorted_tables for c in t.columns if isinstance(c.type, Sealed)]
        return cls(*binary_columns, *sealed)

    def labels(self) -> list[str]:
        """``table.column`` of each declared column."""
        return [c.label for c in self.columns]

    def _check(self, col: Column) -> None:
        if (col.table.name, col.name) not in self._names:
            raise KeyError(f"{col.table.name}.{col.name} is not declared encrypted")

    def seal(self, cipher, col: Column, data: bytes) -> bytes:
        """Bytes to store in the declared binary column ``col``."""
        self._check(col)
        if cipher is None:
            raise RuntimeError("REFNET_FILE_KEYS is not set: personal text cannot be stored")
        return cipher.encrypt(data)

    def open(self, cipher, col: Column, stored) -> bytes:
        """The bytes stored in the declared binary column ``col``."""
        self._check(col)
        if cipher is None:
            raise RuntimeError("REFNET_FILE_KEYS is not set: personal text cannot be read")
        return cipher.decrypt(bytes(stored))

    def rotate(self, db, cipher, *, audit_log=None, agency: str = "", now=None) -> dict[str, int]:
        """Re-encrypt every value of every declared column with the newest key of ``cipher``
        (and encrypt sealed text stored before its column was encrypted), in batches of short
        transactions, safe while the service runs. Returns the count per ``table.column``;
        with ``audit_log``, the rotation is an entry of the service's audit trail."""
        counts = {c.label: _rotate_column(db, cipher, c) for c in self.columns}
        if audit_log is not None and any(counts.values()):
            from . import audit
            with db.write() as s:
                audit.append(s, audit_log, actor="system:rotate-keys", role="system", agency=agency,
                             action="keys.rotate", object="encrypted-columns", outcome="ok", now=now)
        return counts


def raw_table(name: str, *columns: str):
    """A table clause without types: values read and written exactly as stored."""
    return table(name, *(column(c) for c in columns))


def rotated(cipher, stored, binary: bool):
    """One stored value under the newest key (None stays None)."""
    if stored is None:
        return None
    if binary:
        return cipher.rotate(bytes(stored))
    return seal_text(cipher, open_text(cipher, stored))


def _rotate_column(db, cipher, c: _Declared) -> int:
    raw = raw_table(c.table, c.key, c.name)
    key, value = raw.c[c.key], raw.c[c.name]
    last, done = None, 0
    while True:
        with db.write() as s:
            query = select(key, value).where(value.isnot(None)).order_by(key).limit(BATCH)
            if last is not None:
                query = query.where(key > last)
            rows = s.execute(query).all()
            for row_key, stored in rows:
                stored = bytes(stored) if isinstance(stored, memoryview) else stored
                # unchanged since read: a value the service rewrote meanwhile is its own (new) one
                s.execute(update(raw).where(key == row_key, value == stored)
                          .values({c.name: rotated(cipher, stored, c.binary)}))
        if not rows:
            return done
        last, done = rows[-1][0], done + len(rows)
