"""Bearer tokens: HS256 JWTs tied to a user, a role and an agency."""

import base64
import json
import time

import jwt
import pytest

from gateway import tokens
from gateway.tokens import AUDIENCE, ISSUER, Identity, InvalidToken, issue_token, verify_token
from services.contracts.vocabulary import ROLES

from .conftest import OTHER_SECRET, TOKEN_SECRET


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def claims(**changes):
    now = int(time.time())
    base = {"iss": tokens.ISSUER, "aud": tokens.AUDIENCE, "sub": "officer-1", "role": "police",
            "agency": "erbil-police", "iat": now, "exp": now + 600, "jti": "token-1"}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def alg_none_token(**changes) -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims(**changes))}."


@pytest.mark.parametrize("role", ROLES)
def test_issue_and_verify(role):
    token = issue_token(TOKEN_SECRET, user="u-1", role=role, agency="agency-1")
    assert verify_token(TOKEN_SECRET, token) == Identity(user="u-1", role=role, agency="agency-1")


def test_issued_token_has_the_expected_claims():
    token = issue_token(TOKEN_SECRET, user="u-1", role="police", agency="erbil-police", ttl=60)
    decoded = jwt.decode(token, TOKEN_SECRET, algorithms=["HS256"], audience=tokens.AUDIENCE)
    assert decoded["iss"] == "refnet" and decoded["sub"] == "u-1"
    assert decoded["exp"] - decoded["iat"] == 60
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_each_token_has_its_own_id():
    a = issue_token(TOKEN_SECRET, user="u", role="police", agency="a")
    b = issue_token(TOKEN_SECRET, user="u", role="police", agency="a")
    assert jwt.decode(a, options={"verify_signature": False})["jti"] != \
        jwt.decode(b, options={"verify_signature": False})["jti"]


def test_identity_as_caller():
    assert Identity("u", "legal", "aid").as_caller() == {"user": "u", "role": "legal", "agency": "aid"}


@pytest.mark.parametrize("role", ["janitor", "", "Police", None])
def test_unknown_role_is_refused_at_issue_time(role):
    with pytest.raises(ValueError, match="role"):
        issue_token(TOKEN_SECRET, user="u", role=role, agency="a")


@pytest.mark.parametrize("user,agency", [("", "a"), ("u", ""), (None, "a")])
def test_user_and_agency_are_required_at_issue_time(user, agency):
    with pytest.raises(ValueError, match="user|agency"):
        issue_token(TOKEN_SECRET, user=user, role="police", agency=agency)


@pytest.mark.parametrize("agency", ["Erbil Police", "erbil police", "-erbil", "erbil/police",
                                    "erbil-police\n", "e" * 101, "ERBIL-POLICE"])
def test_an_agency_not_in_the_agency_format_is_refused_at_issue_time(agency):
    with pytest.raises(ValueError, match="agency"):
        issue_token(TOKEN_SECRET, user="u", role="police", agency=agency)


@pytest.mark.parametrize("user", ["u" * 101, "officer one", "officer/1", "o\u00e9"])
def test_a_user_id_not_in_the_user_format_is_refused_at_issue_time(user):
    with pytest.raises(ValueError, match="user"):
        issue_token(TOKEN_SECRET, user=user, role="police", agency="erbil-police")


@pytest.mark.parametrize("claims", [{"sub": "u" * 101}, {"agency": "Erbil Police"}])
def test_a_token_signed_with_a_user_or_agency_out_of_format_is_refused(claims):
    """A token made with the secret but not by issue_token (an older tool, a hand-made one)."""
    now = int(time.time())
    token = jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": "u", "role": "police",
                        "agency": "erbil-police", "iat": now, "exp": now + 60, "jti": "j",
                        **claims}, TOKEN_SECRET, algorithm="HS256")
    with pytest.raises(InvalidToken, match="claims"):
        verify_token(TOKEN_SECRET, token)


def test_expired_token():
    token = issue_token(TOKEN_SECRET, user="u", role="police", agency="a", ttl=-60)
    with pytest.raises(InvalidToken, match="Expired"):
        verify_token(TOKEN_SECRET, token)


def test_token_signed_with_another_secret():
    token = issue_token(OTHER_SECRET, user="u", role="police", agency="a")
    with pytest.raises(InvalidToken, match="Signature"):
        verify_token(TOKEN_SECRET, token)


def test_alg_none_token_is_refused():
    token = alg_none_token()
    assert jwt.decode(token, options={"verify_signature": False})["sub"] == "officer-1"  # well formed
    with pytest.raises(InvalidToken):
        verify_token(TOKEN_SECRET, token)


def test_other_algorithm_is_refused():
    token = jwt.encode(claims(), TOKEN_SECRET, algorithm="HS512")
    with pytest.raises(InvalidToken):
        verify_token(TOKEN_SECRET, token)


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "Bearer x"])
def test_garbage_token(token):
    with pytest.raises(InvalidToken):
        verify_token(TOKEN_SECRET, token)


@pytest.mark.parametrize("missing", ["exp", "iat", "sub", "aud", "iss", "jti"])
def test_missing_registered_claim_is_refused(missing):  # jti too (revocation needs it)
    token = jwt.encode(claims(**{missing: None}), TOKEN_SECRET, algorithm="HS256")
    with pytest.raises(InvalidToken):
        verify_token(TOKEN_SECRET, token)


@pytest.mark.parametrize("changes", [{"role": None}, {"agency": None}, {"role": "janitor"},
                                     {"agency": ""}, {"agency": 42}])
def test_missing_or_bad_identity_claims_are_refused(changes):
    token = jwt.encode(claims(**changes), TOKEN_SECRET, algorithm="HS256")
    with pytest.raises(InvalidToken, match="claims"):
        verify_token(TOKEN_SECRET, token)


@pytest.mark.parametrize("changes", [{"aud": "another-api"}, {"iss": "someone-else"}])
def test_wrong_audience_or_issuer(changes):
    token = jwt.encode(claims(**changes), TOKEN_SECRET, algorithm="HS256")
    with pytest.raises(InvalidToken):
        verify_token(TOKEN_SECRET, token)


def test_hand_built_valid_token_is_accepted():
    """Control for the refusals above: the same claims, complete and well signed, pass."""
    token = jwt.encode(claims(), TOKEN_SECRET, algorithm="HS256")
    assert verify_token(TOKEN_SECRET, token).agency == "erbil-police"
