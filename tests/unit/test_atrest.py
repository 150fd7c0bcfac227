"""The declaration of each service's encrypted columns (services/common/atrest.py)."""

import importlib

import pytest
from cryptography.fernet import InvalidToken
from sqlalchemy import Column, Integer, LargeBinary, MetaData, String, Table

from services.common.atrest import AtRest, Sealed, rotated, seal_text
from services.common.sealing import FileCipher

metadata = MetaData()
things = Table("things", metadata, Column("id", Integer, primary_key=True),
               Column("secret", LargeBinary), Column("story", Sealed), Column("code", String(10)),
               Column("other", LargeBinary))


def test_the_declaration_refuses_a_column_it_cannot_rotate():
    with pytest.raises(TypeError):
        AtRest(things.c.code)  # text in clear is not an encrypted column
    keyless = Table("keyless", MetaData(), Column("a", Integer), Column("b", LargeBinary))
    with pytest.raises(ValueError):
        AtRest(keyless.c.b)


def test_a_service_seals_only_what_it_declares():
    declared = AtRest.of(metadata, things.c.secret)
    assert declared.labels() == ["things.secret", "things.story"]
    cipher = FileCipher(FileCipher.new_key())
    stored = declared.seal(cipher, things.c.secret, b"goals")
    assert b"goals" not in stored and declared.open(cipher, things.c.secret, stored) == b"goals"
    with pytest.raises(KeyError):
        declared.seal(cipher, things.c.other, b"goals")
    with pytest.raises(RuntimeError):
        declared.seal(None, things.c.secret, b"goals")


def test_rotation_moves_a_value_to_the_newest_key_and_seals_older_plain_text():
    old, new = FileCipher.new_key(), FileCipher.new_key()
    both = FileCipher(f"{new},{old}")
    binary = rotated(both, FileCipher(old).encrypt(b"x"), binary=True)
    text = rotated(both, seal_text(FileCipher(old), "y"), binary=False)
    plain = rotated(both, "written before the column was sealed", binary=False)
    only_new, only_old = FileCipher(new), FileCipher(old)
    assert only_new.decrypt(binary) == b"x"
    assert only_new.decrypt(text[len("fernet:"):].encode()) == b"y"
    assert plain.startswith("fernet:") and "written" not in plain
    with pytest.raises(InvalidToken):
        only_old.decrypt(binary)
    assert rotated(both, None, binary=True) is None


@pytest.mark.parametrize("service", ["referral", "shelter", "legal"])
def test_every_service_declares_its_encrypted_columns(service):
    tables = importlib.import_module(f"services.{service}.tables")
    binary = {f"{t.name}.{c.name}" for t in tables.metadata.sorted_tables for c in t.columns
              if isinstance(c.type, (LargeBinary, Sealed))}
    assert set(tables.ENCRYPTED.labels()) == binary and binary
