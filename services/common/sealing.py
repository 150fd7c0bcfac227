"""Sealed boxes for submissions in transit, and field encryption at rest.

* ``seal``/``unseal``: X25519 + HKDF-SHA256 + AES-256-GCM. The gateway holds only the referral
  service's public key, so a submission on the broker can be read by the referral service alone.
  ``associated_data`` (what travels beside the box in clear: for a submission its reference,
  agency and user) is authenticated with it, so a box opens only with what it was sealed with.
* ``FileCipher``: Fernet (MultiFernet, so keys can be rotated) for personal data at rest.
"""

import base64

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .randomness import token_bytes

_INFO = b"refnet intake seal v1"
_RAW = serialization.Encoding.Raw


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode())


def new_keypair() -> tuple[str, str]:
    """A fresh (private, public) pair, each base64 text fit for an environment variable."""
    private = X25519PrivateKey.generate()
    raw_private = private.private_bytes(_RAW, serialization.PrivateFormat.Raw,
                                        serialization.NoEncryption())
    raw_public = private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    return _b64(raw_private), _b64(raw_public)


def _key_bytes(text: str) -> bytes:
    """A key's 32 raw bytes from its url-safe base64 text (strict: nothing but the alphabet)."""
    raw = base64.b64decode(text.encode(), altchars=b"-_", validate=True)
    if len(raw) != 32:
        raise ValueError("a key is 32 bytes")
    return raw


def load_private_key(text: str) -> X25519PrivateKey:
    """The intake private key (``REFNET_INTAKE_PRIVATE_KEY``) from its text."""
    return X25519PrivateKey.from_private_bytes(_key_bytes(text))


def load_public_key(text: str) -> X25519PublicKey:
    """The intake public key (``REFNET_INTAKE_PUBLIC_KEY``) from its text."""
    return X25519PublicKey.from_public_bytes(_key_bytes(text))


def _derive(shared: bytes, ephemeral_public: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral_public, info=_INFO).derive(shared)


def seal(plaintext: bytes, public_key_b64: str, associated_data: bytes | None = None) -> str:
    """Seal ``plaintext`` to the holder of a private key (X25519, then AES-GCM), bound to
    ``associated_data`` (not secret; ``unseal`` must be given the same)."""
    recipient = load_public_key(public_key_b64)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    key = _derive(ephemeral.exchange(recipient), ephemeral_public)
    nonce = token_bytes(12)
    return _b64(ephemeral_public + nonce + AESGCM(key).encrypt(nonce, plaintext, associated_data))


def unseal(sealed_b64: str, private_key_b64: str, associated_data: bytes | None = None) -> bytes:
    """Open what ``seal`` sealed; raises on a wrong key, a changed byte or associated data
    other than it was sealed with."""
    blob = _unb64(sealed_b64)
    ephemeral_public, nonce, ciphertext = blob[:32], blob[32:44], blob[44:]
    private = load_private_key(private_key_b64)
    key = _derive(private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public)),
                  ephemeral_public)
    return AESGCM(key).decrypt(nonce, ciphertext, associated_data)


class FileCipher:
    """Encrypts personal data at rest. ``keys`` is a comma-separated list, newest first."""

    def __init__(self, keys: str):
        self._fernet = MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])

    def encrypt(self, data: bytes) -> bytes:
        """Encrypt with the newest key."""
        return self._fernet.encrypt(data)

    def decrypt(self, token: bytes) -> bytes:
        """Decrypt with whichever key encrypted it."""
        return self._fernet.decrypt(token)

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt with the newest key."""
        return self._fernet.rotate(token)

    @staticmethod
    def new_key() -> str:
        """A new Fernet key (text)."""
        return Fernet.generate_key().decode()
