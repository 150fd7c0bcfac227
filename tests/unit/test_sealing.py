"""Sealed boxes for submissions in transit and Fernet encryption at rest."""

import base64

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.fernet import InvalidToken

from services.common.sealing import FileCipher, new_keypair, seal, unseal

PLAINTEXT = b'{"survivor": {"name": "Amina K."}}'


def test_keypair_is_base64_of_32_raw_bytes(keypair):
    private, public = keypair
    assert len(base64.urlsafe_b64decode(private)) == 32
    assert len(base64.urlsafe_b64decode(public)) == 32
    assert private != public


def test_seal_unseal_round_trip(keypair):
    private, public = keypair
    sealed = seal(PLAINTEXT, public)
    assert unseal(sealed, private) == PLAINTEXT


def test_sealed_text_hides_the_plaintext(keypair):
    sealed = seal(PLAINTEXT, keypair[1])
    assert b"Amina" not in base64.urlsafe_b64decode(sealed)
    assert "Amina" not in sealed


def test_sealing_twice_gives_different_boxes(keypair):
    """A fresh ephemeral key and nonce per seal: equal submissions are not linkable."""
    assert seal(PLAINTEXT, keypair[1]) != seal(PLAINTEXT, keypair[1])


def test_empty_plaintext_round_trips(keypair):
    assert unseal(seal(b"", keypair[1]), keypair[0]) == b""


def test_wrong_private_key_fails(keypair):
    sealed = seal(PLAINTEXT, keypair[1])
    other_private, _ = new_keypair()
    with pytest.raises(InvalidTag):
        unseal(sealed, other_private)


@pytest.mark.parametrize("position", [0, 32, 40, 50, -1])   # ephemeral key, nonce, body, tag
def test_tampered_box_fails(keypair, position):
    blob = bytearray(base64.urlsafe_b64decode(seal(PLAINTEXT, keypair[1])))
    blob[position] ^= 0x01
    tampered = base64.urlsafe_b64encode(bytes(blob)).decode()
    with pytest.raises(InvalidTag):
        unseal(tampered, keypair[0])


def test_truncated_box_fails(keypair):
    blob = base64.urlsafe_b64decode(seal(PLAINTEXT, keypair[1]))
    with pytest.raises(Exception):
        unseal(base64.urlsafe_b64encode(blob[:-5]).decode(), keypair[0])


# --- at rest ----------------------------------------------------------------------------------------

def test_file_cipher_round_trip():
    cipher = FileCipher(FileCipher.new_key())
    token = cipher.encrypt(PLAINTEXT)
    assert PLAINTEXT not in token
    assert cipher.decrypt(token) == PLAINTEXT


def test_file_cipher_with_another_key_cannot_decrypt():
    token = FileCipher(FileCipher.new_key()).encrypt(PLAINTEXT)
    with pytest.raises(InvalidToken):
        FileCipher(FileCipher.new_key()).decrypt(token)


def test_file_cipher_tampered_token_fails():
    cipher = FileCipher(FileCipher.new_key())
    token = bytearray(base64.urlsafe_b64decode(cipher.encrypt(PLAINTEXT)))
    token[-40] ^= 0x01
    with pytest.raises(InvalidToken):
        cipher.decrypt(base64.urlsafe_b64encode(bytes(token)))


def test_rotation_with_new_key_first():
    old, new = FileCipher.new_key(), FileCipher.new_key()
    old_token = FileCipher(old).encrypt(PLAINTEXT)
    both = FileCipher(f"{new}, {old}")           # newest first; spaces are tolerated
    assert both.decrypt(old_token) == PLAINTEXT  # old data stays readable during rotation
    rotated = both.rotate(old_token)
    assert FileCipher(new).decrypt(rotated) == PLAINTEXT   # re-encrypted under the new key...
    with pytest.raises(InvalidToken):
        FileCipher(old).decrypt(rotated)                   # ...and no longer under the old one


def test_new_data_is_encrypted_with_the_first_key():
    old, new = FileCipher.new_key(), FileCipher.new_key()
    token = FileCipher(f"{new},{old}").encrypt(PLAINTEXT)
    assert FileCipher(new).decrypt(token) == PLAINTEXT
    with pytest.raises(InvalidToken):
        FileCipher(old).decrypt(token)


def test_file_cipher_needs_a_key():
    with pytest.raises(ValueError):
        FileCipher(" , ")


def test_a_seal_opens_only_with_the_reference_agency_and_user_it_was_sealed_with(keypair):
    from services.contracts.submission import seal_binding
    private, public = keypair
    bound = seal_binding("RN-ABCD-EFGH-IJKL-MNOP", "erbil-police", "officer.one")
    sealed = seal(PLAINTEXT, public, bound)
    assert unseal(sealed, private, bound) == PLAINTEXT
    for moved in (seal_binding("RN-ABCD-EFGH-IJKL-MNOP", "duhok-police", "officer.one"),
                  seal_binding("RN-ABCD-EFGH-IJKL-MNOP", "erbil-police", "officer.two"),
                  seal_binding("RN-QRST-UVWX-YZ23-4567", "erbil-police", "officer.one"), None):
        with pytest.raises(InvalidTag):
            unseal(sealed, private, moved)
