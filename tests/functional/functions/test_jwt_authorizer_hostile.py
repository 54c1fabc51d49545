"""The JWT authorizer against a hostile-token corpus: each case is a Deny, never an Allow or an exception,
and the token never reaches the logs. Real keys (cryptography), real PyJWT; the JWKS is served from memory
(or not at all)."""

from __future__ import annotations

import base64
import copy
import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ISSUER = "https://issuer.example.com/"
AUDIENCE = "orders-api"
SAMPLE = json.loads((Path(__file__).resolve().parents[2] / "events" / "jwt_authorizer_request.json").read_text())


def now() -> int:
    """Token times are relative to when a test runs (a long test session must not age them)."""
    return int(time.time())


RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(private_key: Any, kid: str, alg: str) -> dict[str, Any]:
    algorithm = jwt.algorithms.RSAAlgorithm if alg == "RS256" else jwt.algorithms.ECAlgorithm
    data = json.loads(algorithm.to_jwk(private_key.public_key()))
    return {**data, "kid": kid, "alg": alg, "use": "sig"}


JWKS = json.dumps({"keys": [jwk(RSA_KEY, "rsa-1", "RS256"), jwk(EC_KEY, "ec-1", "ES256")]}).encode()


def claims(**changes: Any) -> dict[str, Any]:
    base = {"iss": ISSUER, "aud": AUDIENCE, "sub": "user-42", "iat": now(), "exp": now() + 600, "scope": "orders:read"}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def token(payload: dict[str, Any] | None = None, key: Any = RSA_KEY, alg: str = "RS256", kid: str = "rsa-1") -> str:
    return jwt.encode(payload or claims(), key, algorithm=alg, headers={"kid": kid})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(alg: str = "none") -> str:
    header = b64(json.dumps({"alg": alg, "kid": "rsa-1", "typ": "JWT"}).encode())
    return f"{header}.{b64(json.dumps(claims()).encode())}."


def hs256_with_public_key() -> str:
    """The classic confusion attack: HMAC-SHA256 keyed with the issuer's public key (PEM)."""
    pem = RSA_KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    signing_input = (
        b64(json.dumps({"alg": "HS256", "kid": "rsa-1"}).encode()) + "." + b64(json.dumps(claims()).encode())
    )
    mac = hmac.HMAC(pem, hashes.SHA256())
    mac.update(signing_input.encode())
    return signing_input + "." + b64(mac.finalize())


def bad_signature() -> str:
    head, body, signature = token().split(".")
    flipped = bytearray(base64.urlsafe_b64decode(signature + "=="))
    flipped[10] ^= 0xFF
    return f"{head}.{body}.{b64(bytes(flipped))}"


def event(authorization: Any) -> dict[str, Any]:
    sample = copy.deepcopy(SAMPLE)
    if authorization is None:
        sample["headers"].pop("Authorization", None)
    else:
        sample["headers"]["Authorization"] = authorization
    return sample


@pytest.fixture()
def authorizer(load_function):
    app = load_function("jwt_authorizer")
    check = load_function("jwt_authorizer", "token_check")
    settings = check.Settings(ISSUER, (AUDIENCE,), "https://issuer.example.com/.well-known/jwks.json", 60, 3600)
    fetches: list[str] = []

    def fetch(url: str) -> bytes:
        fetches.append(url)
        return JWKS

    app.set_checker((settings, app.JwksCache(settings.jwks_url, 3600, fetch=fetch)))
    app.fetches = fetches
    return app


def assert_denied(response: dict[str, Any]) -> None:
    assert [s["Effect"] for s in response["policyDocument"]["Statement"]] == ["Deny"]
    assert response["principalId"] == "anonymous"
    assert "context" not in response


def test_a_valid_rs256_token_is_allowed_with_its_claims_as_context(authorizer, lambda_context):
    issued = now()
    response = authorizer.lambda_handler(event(f"Bearer {token(claims(iat=issued, exp=issued + 600))}"), lambda_context)
    assert response["principalId"] == "user-42"
    assert [s["Effect"] for s in response["policyDocument"]["Statement"]] == ["Allow"]
    assert response["policyDocument"]["Statement"][0]["Resource"] == [
        "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/*/*"
    ]
    assert response["context"] == {
        "aud": AUDIENCE,
        "exp": issued + 600,
        "iat": issued,
        "iss": ISSUER,
        "scope": "orders:read",
        "sub": "user-42",
    }


def test_a_valid_es256_token_is_allowed(authorizer, lambda_context):
    response = authorizer.lambda_handler(event(f"Bearer {token(key=EC_KEY, alg='ES256', kid='ec-1')}"), lambda_context)
    assert response["principalId"] == "user-42"


def test_a_token_expired_within_the_clock_skew_is_still_allowed(authorizer, lambda_context):
    response = authorizer.lambda_handler(event(f"Bearer {token(claims(exp=now() - 30))}"), lambda_context)
    assert response["principalId"] == "user-42"


def test_the_jwks_is_fetched_once_and_cached(authorizer, lambda_context):
    for _ in range(3):
        authorizer.lambda_handler(event(f"Bearer {token()}"), lambda_context)
    assert authorizer.fetches == ["https://issuer.example.com/.well-known/jwks.json"]


HOSTILE = {  # case -> (Authorization header, the reason the authorizer logs)
    "expired": (lambda: f"Bearer {token(claims(exp=now() - 120))}", "expired"),
    "not yet valid": (lambda: f"Bearer {token(claims(nbf=now() + 600))}", "not yet valid"),
    "wrong audience": (lambda: f"Bearer {token(claims(aud='someone-else'))}", "wrong audience"),
    "wrong issuer": (lambda: f"Bearer {token(claims(iss='https://evil.example.com/'))}", "wrong issuer"),
    "no exp": (lambda: f"Bearer {token(claims(exp=None))}", "invalid token"),
    "alg none": (lambda: f"Bearer {unsigned('none')}", "algorithm not allowed"),
    "alg None": (lambda: f"Bearer {unsigned('None')}", "algorithm not allowed"),
    "HS256 signed with the public key": (lambda: f"Bearer {hs256_with_public_key()}", "algorithm not allowed"),
    "bad signature": (lambda: f"Bearer {bad_signature()}", "bad signature"),
    "signed by another key": (lambda: f"Bearer {token(key=OTHER_RSA_KEY)}", "bad signature"),
    "unknown kid": (lambda: f"Bearer {token(kid='rotated-away')}", "unknown kid"),
    "no kid": (lambda: f"Bearer {jwt.encode(claims(), RSA_KEY, algorithm='RS256')}", "no kid"),
    "expired just beyond the clock skew": (lambda: f"Bearer {token(claims(exp=now() - 65))}", "expired"),
    "ES256 header on the RSA key": (
        lambda: f"Bearer {token(key=EC_KEY, alg='ES256', kid='rsa-1')}",
        "key does not match the algorithm",
    ),
    "RS512": (lambda: f"Bearer {token(alg='RS512')}", "algorithm not allowed"),
    "garbage": (lambda: "Bearer not.a.jwt", "malformed token"),
    "garbage base64": (lambda: "Bearer eyJhbGciOi.eyJzdWIi.AAAA", "malformed token"),
    "no scheme": (lambda: token(), "not a bearer token"),
    "basic scheme": (lambda: "Basic dXNlcjpwYXNz", "not a bearer token"),
    "empty bearer": (lambda: "Bearer ", "not a bearer token"),
    "oversized header": (lambda: "Bearer " + "A" * 10_000, "oversized Authorization header"),
    "oversized token": (lambda: f"Bearer {token(claims(pad='x' * 9000))}", "oversized Authorization header"),
    "not a string": (lambda: 12345, "no Authorization header"),
    "missing header": (lambda: None, "no Authorization header"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_tokens_are_denied_for_their_reason_and_never_logged(authorizer, lambda_context, caplog, case):
    make, reason = HOSTILE[case]
    authorization = make()
    with caplog.at_level("DEBUG"):
        response = authorizer.lambda_handler(event(authorization), lambda_context)
    assert_denied(response)
    denials = [getattr(r, "reason", None) for r in caplog.records if r.getMessage() == "denied"]
    assert denials == [reason]
    logged = " ".join(str(r.__dict__) for r in caplog.records)
    if isinstance(authorization, str) and len(authorization) > 10:
        assert authorization.split(" ")[-1][:40] not in logged


def test_an_unreachable_jwks_denies(load_function, lambda_context):
    app = load_function("jwt_authorizer")
    check = load_function("jwt_authorizer", "token_check")
    settings = check.Settings(ISSUER, (AUDIENCE,), "https://issuer.example.com/jwks", 60, 3600)

    def unreachable(url: str) -> bytes:
        raise OSError("connection timed out")

    app.set_checker((settings, app.JwksCache(settings.jwks_url, 3600, fetch=unreachable)))
    assert_denied(app.lambda_handler(event(f"Bearer {token()}"), lambda_context))


def test_a_jwks_that_is_not_json_denies(load_function, lambda_context):
    app = load_function("jwt_authorizer")
    check = load_function("jwt_authorizer", "token_check")
    settings = check.Settings(ISSUER, (AUDIENCE,), "https://issuer.example.com/jwks", 60, 3600)
    app.set_checker((settings, app.JwksCache(settings.jwks_url, 3600, fetch=lambda url: b"<html>")))
    assert_denied(app.lambda_handler(event(f"Bearer {token()}"), lambda_context))


@pytest.mark.parametrize("bad", [None, "not a dict", {}, {"methodArn": "arn:aws:execute-api:*:*:*/*/*/*"}, []])
def test_malformed_events_are_denied(authorizer, lambda_context, bad):
    assert_denied(authorizer.lambda_handler(bad, lambda_context))


def test_a_broken_configuration_denies_instead_of_raising(load_function, lambda_context, monkeypatch):
    monkeypatch.setenv("JWT_ISSUER", "http://not-https.example.com")
    monkeypatch.setenv("JWT_AUDIENCES", "orders-api")
    app = load_function("jwt_authorizer")
    assert_denied(app.lambda_handler(event(f"Bearer {token()}"), lambda_context))


def test_an_unknown_kid_refetches_the_jwks_at_most_once_a_minute(load_function):
    check = load_function("jwt_authorizer", "token_check")
    now = [1000.0]
    fetches: list[str] = []

    def fetch(url: str) -> bytes:
        fetches.append(url)
        return JWKS

    cache = check.JwksCache("https://issuer.example.com/jwks", 3600, fetch=fetch, clock=lambda: now[0])
    cache.key("rsa-1")
    for _ in range(5):
        with pytest.raises(check.Rejected, match="unknown kid"):
            cache.key("forged")
    assert len(fetches) == 1
    now[0] += 61
    with pytest.raises(check.Rejected, match="unknown kid"):
        cache.key("forged")
    assert len(fetches) == 2


def test_clock_skew_is_bounded(load_function):
    check = load_function("jwt_authorizer", "token_check")
    settings = check.Settings.from_env({"JWT_ISSUER": ISSUER, "JWT_AUDIENCES": "a,b", "CLOCK_SKEW_SECONDS": "100000"})
    assert (settings.leeway_seconds, settings.audiences, settings.jwks_url) == (
        300,
        ("a", "b"),
        "https://issuer.example.com/.well-known/jwks.json",
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    header=st.one_of(
        st.text(max_size=300),
        st.builds(lambda t: f"Bearer {t}", st.text(max_size=300)),
        st.builds(
            lambda a, b, c: f"Bearer {b64(a)}.{b64(b)}.{b64(c)}",
            st.binary(max_size=120),
            st.binary(max_size=120),
            st.binary(max_size=120),
        ),
        st.builds(
            lambda h, c: f"Bearer {b64(json.dumps(h).encode())}.{b64(json.dumps(c).encode())}.",
            st.dictionaries(st.sampled_from(["alg", "kid", "typ", "jku", "x5u"]), st.text(max_size=20)),
            st.dictionaries(st.sampled_from(["iss", "aud", "sub", "exp", "nbf"]), st.text(max_size=20)),
        ),
    )
)
def test_random_authorization_headers_are_denied_and_never_raise(authorizer, lambda_context, header):
    assert_denied(authorizer.lambda_handler(event(header), lambda_context))
