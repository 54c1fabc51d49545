"""Checks of one bearer token against an OIDC issuer's keys, in plain functions (no Lambda event).

Only RS256 and ES256 are accepted, each with a key of the matching type from the issuer's JWKS; issuer,
audience, expiry and not-before are checked with a bounded leeway. Every failure is a `Rejected` with a
short reason (never the token): the handler turns it into a Deny.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt

ALGORITHMS = {"RS256": "RSA", "ES256": "EC"}  # algorithm -> the key type (kty) it needs
MAX_TOKEN_LENGTH = 8192  # far above any real access or ID token; bigger headers are refused unread
MAX_JWKS_BYTES = 512 * 1024
MAX_LEEWAY_SECONDS = 300
JWKS_TIMEOUT_SECONDS = 3.0
REFRESH_INTERVAL_SECONDS = 60.0  # an unknown kid refetches the JWKS at most this often


class Rejected(Exception):
    """The token is not accepted; `reason` is safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Settings:
    issuer: str
    audiences: tuple[str, ...]
    jwks_url: str
    leeway_seconds: int = 60
    jwks_ttl_seconds: float = 3600.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        issuer = env["JWT_ISSUER"]
        audiences = tuple(a for a in env["JWT_AUDIENCES"].split(",") if a)
        if not issuer.startswith("https://") or not audiences:
            raise ValueError("JWT_ISSUER must be https and JWT_AUDIENCES must name at least one audience")
        return cls(
            issuer=issuer,
            audiences=audiences,
            jwks_url=env.get("JWKS_URL") or issuer.rstrip("/") + "/.well-known/jwks.json",
            leeway_seconds=min(max(int(env.get("CLOCK_SKEW_SECONDS", "60")), 0), MAX_LEEWAY_SECONDS),
            jwks_ttl_seconds=float(env.get("JWKS_CACHE_SECONDS", "3600")),
        )


def fetch_url(url: str) -> bytes:
    """GET an https URL with a timeout and a size limit."""
    if not url.startswith("https://"):
        raise OSError("the JWKS URL must be https")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=JWKS_TIMEOUT_SECONDS) as response:
        body: bytes = response.read(MAX_JWKS_BYTES + 1)
    if len(body) > MAX_JWKS_BYTES:
        raise OSError("the JWKS is too large")
    return body


@dataclass
class JwksCache:
    """The issuer's signing keys by kid, fetched on first use and kept for `ttl_seconds`. An unknown kid
    refetches (key rotation) at most every REFRESH_INTERVAL_SECONDS; a failed fetch keeps the old keys."""

    url: str
    ttl_seconds: float
    fetch: Callable[[str], bytes] = fetch_url
    clock: Callable[[], float] = time.monotonic
    keys: dict[str, jwt.PyJWK] = field(default_factory=dict)
    fetched_at: float | None = None

    def key(self, kid: str) -> jwt.PyJWK:
        now = self.clock()
        stale = self.fetched_at is None or now - self.fetched_at > self.ttl_seconds
        unknown = kid not in self.keys and (self.fetched_at is None or now - self.fetched_at > REFRESH_INTERVAL_SECONDS)
        if stale or unknown:
            self._refresh(now)
        if kid not in self.keys:
            raise Rejected("unknown kid")
        return self.keys[kid]

    def _refresh(self, now: float) -> None:
        try:
            document = json.loads(self.fetch(self.url))
            keys = {}
            for entry in document["keys"]:
                if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
                    continue
                if entry.get("use", "sig") != "sig" or entry.get("kty") not in ALGORITHMS.values():
                    continue
                try:
                    keys[entry["kid"]] = jwt.PyJWK(entry)
                except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
                    continue  # one bad key does not spoil the others
        except (OSError, ValueError, KeyError, TypeError):
            if not self.keys:
                raise Rejected("JWKS unavailable") from None
            return  # keep serving the keys we have; try again after the refresh interval
        finally:
            self.fetched_at = now
        self.keys = keys


def bearer_token(headers: Mapping[str, Any] | None) -> str:
    """The token of an `Authorization: Bearer <token>` header (any case)."""
    if not isinstance(headers, Mapping):
        raise Rejected("no headers")
    values = [v for k, v in headers.items() if isinstance(k, str) and k.lower() == "authorization"]
    if len(values) != 1 or not isinstance(values[0], str):
        raise Rejected("no Authorization header")
    value = values[0]
    if len(value) > MAX_TOKEN_LENGTH:
        raise Rejected("oversized Authorization header")
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Rejected("not a bearer token")
    return token.strip()


def verify(token: str, settings: Settings, keys: JwksCache) -> dict[str, Any]:
    """The token's claims when it is valid for `settings`; Rejected otherwise (never another exception)."""
    try:
        header = jwt.get_unverified_header(token)
    except (jwt.PyJWTError, ValueError, TypeError):
        raise Rejected("malformed token") from None
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in ALGORITHMS:  # none, HS256 (a public key used as an HMAC secret), anything else
        raise Rejected("algorithm not allowed")
    if not isinstance(kid, str) or not kid:
        raise Rejected("no kid")
    key = keys.key(kid)
    if key.key_type != ALGORITHMS[alg] or key.algorithm_name != alg:
        raise Rejected("key does not match the algorithm")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key.key,
            algorithms=[alg],
            audience=list(settings.audiences),
            issuer=settings.issuer,
            leeway=settings.leeway_seconds,
            options={"require": ["exp", "iss", "aud", "sub"], "verify_signature": True},
        )
    except jwt.ExpiredSignatureError:
        raise Rejected("expired") from None
    except jwt.ImmatureSignatureError:
        raise Rejected("not yet valid") from None
    except jwt.InvalidAudienceError:
        raise Rejected("wrong audience") from None
    except jwt.InvalidIssuerError:
        raise Rejected("wrong issuer") from None
    except jwt.InvalidSignatureError:
        raise Rejected("bad signature") from None
    except (jwt.PyJWTError, ValueError, TypeError):
        raise Rejected("invalid token") from None
    if not isinstance(claims.get("sub"), str):
        raise Rejected("invalid subject")
    return claims


def context_of(claims: Mapping[str, Any]) -> dict[str, str | int | bool]:
    """Claims as an authorizer context (strings, numbers and booleans only; the rest as JSON)."""
    out: dict[str, str | int | bool] = {}
    for name, value in sorted(claims.items()):
        if isinstance(value, bool | int | str):
            out[name] = value
        elif isinstance(value, float):
            out[name] = str(value)
        else:
            out[name] = json.dumps(value, separators=(",", ":"), sort_keys=True)
    return out
