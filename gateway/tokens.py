"""Bearer tokens: signed JWTs (HS256) tied to a user, a role and an agency."""

import functools
import time
import uuid
from dataclasses import dataclass, field

import jwt

from services.contracts.identities import AGENCY, USER, check_agency, check_user
from services.contracts.vocabulary import ROLES

ISSUER = "refnet"
AUDIENCE = "refnet-api"
ALGORITHM = "HS256"
DEFAULT_TTL = 12 * 3600


class InvalidToken(Exception):
    """Missing, malformed, badly signed, expired or otherwise unacceptable token."""


@dataclass(frozen=True)
class Identity:
    user: str
    role: str
    agency: str
    jti: str | None = field(default=None, compare=False)
    issued_at: int = field(default=0, compare=False)

    def as_caller(self) -> dict:
        return {"user": self.user, "role": self.role, "agency": self.agency}


def issue_token(secret: str, *, user: str, role: str, agency: str, ttl: int = DEFAULT_TTL) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    check_user(user)
    check_agency(agency)
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": user, "role": role, "agency": agency,
              "iat": now, "exp": now + int(ttl), "jti": str(uuid.uuid4())}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(secret: str, token: str) -> Identity:
    """The token's identity; ``InvalidToken`` for anything but a valid, unexpired HS256 token.

    A token that verified once is remembered (by its exact text, with the secret) so the next
    request with it skips the signature and claims checks; its expiry is checked every time.
    Revocation is not the token's business: the gateway asks its store on every request."""
    identity, expires = _verified(secret, token)
    if expires <= time.time():
        raise InvalidToken("ExpiredSignatureError")
    return identity


@functools.lru_cache(maxsize=1024)
def _verified(secret: str, token: str) -> tuple[Identity, int]:
    try:
        # only HS256 is accepted: "alg: none" and any other algorithm fail here
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], audience=AUDIENCE,
                            issuer=ISSUER,
                            options={"require": ["exp", "iat", "sub", "aud", "iss", "jti"]})
    except jwt.PyJWTError as exc:
        raise InvalidToken(type(exc).__name__) from None
    role, agency, user = claims.get("role"), claims.get("agency"), claims.get("sub")
    if role not in ROLES or not isinstance(agency, str) or not AGENCY.fullmatch(agency):
        raise InvalidToken("claims")
    if not isinstance(user, str) or not USER.fullmatch(user):
        raise InvalidToken("claims")
    if not isinstance(claims.get("iat"), int) or not isinstance(claims.get("exp"), (int, float)):
        raise InvalidToken("claims")
    return Identity(user=user, role=role, agency=agency, jti=str(claims["jti"]),
                    issued_at=claims["iat"]), claims["exp"]


def token_id(token: str) -> str | None:
    """The ``jti`` of a token, read without checking it (for ``refnet revoke-token``)."""
    try:
        return jwt.decode(token, options={"verify_signature": False}).get("jti")
    except jwt.PyJWTError:
        return None
