"""Look up API keys by their SHA-256 in the consumers table, behind a small in-memory TTL cache.

Item layout read here (written by the onboarding function):

    pk = "key#<sha256 hex of the key>"
    consumer_id (S), plan (S), status (S: "active" | "revoked"), key_hash (S),
    expires_at (N, epoch seconds, optional)

The plain key never leaves this module except as the `usageIdentifierKey` of an Allow response.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeGuard

import boto3
from botocore.config import Config

KEY_ITEM_PREFIX = "key#"
MIN_KEY_LENGTH = 20
MAX_KEY_LENGTH = 256

# An authorizer must answer fast or not at all: short timeouts, one retry, then deny.
CLIENT_CONFIG = Config(connect_timeout=1, read_timeout=1, retries={"max_attempts": 2, "mode": "standard"})

Clock = Callable[[], float]


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def fingerprint(key_hash: str) -> str:
    """A short, non-reversible label for logs (a prefix of the hash, never the key)."""
    return key_hash[:12]


def is_well_formed_key(api_key: object) -> TypeGuard[str]:
    return (
        isinstance(api_key, str)
        and MIN_KEY_LENGTH <= len(api_key) <= MAX_KEY_LENGTH
        and api_key.isascii()
        and api_key.isprintable()
        and not any(ch.isspace() for ch in api_key)
    )


@dataclass(frozen=True)
class KeyRecord:
    key_hash: str
    consumer_id: str
    plan: str
    status: str
    expires_at: float | None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    consumer_id: str | None = None
    plan: str | None = None
    cache_hit: bool = False


class KeyStoreError(Exception):
    """The table could not be read (throttling, timeout, missing table, corrupt item)."""


class DynamoKeyStore:
    """Reads `key#<hash>` items with a single GetItem; the client is created on first use."""

    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self.table_name = table_name
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto3.client("dynamodb", config=CLIENT_CONFIG)
        return self._client

    def get(self, key_hash: str) -> KeyRecord | None:
        try:
            response = self.client.get_item(
                TableName=self.table_name,
                Key={"pk": {"S": KEY_ITEM_PREFIX + key_hash}},
            )
        except Exception as exc:  # botocore errors, timeouts, anything: the caller denies
            raise KeyStoreError(type(exc).__name__) from exc
        item = response.get("Item")
        if item is None:
            return None
        return _record_from_item(key_hash, item)


def _record_from_item(key_hash: str, item: dict[str, Any]) -> KeyRecord:
    try:
        expires = item.get("expires_at")
        return KeyRecord(
            key_hash=item["key_hash"]["S"],
            consumer_id=item["consumer_id"]["S"],
            plan=item["plan"]["S"],
            status=item["status"]["S"],
            expires_at=float(expires["N"]) if expires else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise KeyStoreError(f"corrupt key item {fingerprint(key_hash)}") from exc


_ABSENT = object()


class TtlCache:
    """Bounded LRU cache whose entries live `ttl_seconds`; unknown keys are cached too (as None),
    so a client hammering with a bad key does not turn into one GetItem per request."""

    def __init__(self, ttl_seconds: float, clock: Clock = time.time, max_entries: int = 10_000) -> None:
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, KeyRecord | None]] = OrderedDict()

    def get(self, key_hash: str) -> KeyRecord | object | None:
        """The cached record (or None for a cached miss), or `_ABSENT` when not cached or stale."""
        entry = self._entries.get(key_hash)
        if entry is None:
            return _ABSENT
        stored_at, record = entry
        if self.clock() - stored_at >= self.ttl_seconds:
            del self._entries[key_hash]
            return _ABSENT
        self._entries.move_to_end(key_hash)
        return record

    def put(self, key_hash: str, record: KeyRecord | None) -> None:
        if self.ttl_seconds <= 0:
            return
        self._entries[key_hash] = (self.clock(), record)
        self._entries.move_to_end(key_hash)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class KeyValidator:
    """Decides whether a presented key belongs to an active, unexpired consumer."""

    def __init__(self, store: DynamoKeyStore, cache: TtlCache, clock: Clock = time.time) -> None:
        self.store = store
        self.cache = cache
        self.clock = clock

    def check(self, api_key: object) -> Decision:
        if api_key is None or api_key == "":
            return Decision(False, "missing_key")
        if not is_well_formed_key(api_key):
            return Decision(False, "malformed_key")
        key_hash = hash_key(api_key)

        cached = self.cache.get(key_hash)
        cache_hit = cached is not _ABSENT
        if cache_hit:
            record = cached if isinstance(cached, KeyRecord) else None
        else:
            record = self.store.get(key_hash)  # KeyStoreError propagates: never cached, always denied
            self.cache.put(key_hash, record)
        return self._decide(key_hash, record, cache_hit)

    def _decide(self, key_hash: str, record: KeyRecord | None, cache_hit: bool) -> Decision:
        if record is None:
            return Decision(False, "unknown_key", cache_hit=cache_hit)
        # The item is addressed by the hash already; comparing again in constant time guards
        # against a mis-written item pointing at another consumer's key.
        if not hmac.compare_digest(record.key_hash, key_hash):
            return Decision(False, "hash_mismatch", cache_hit=cache_hit)
        if record.status != "active":
            return Decision(False, "revoked", record.consumer_id, record.plan, cache_hit)
        if record.expires_at is not None and self.clock() >= record.expires_at:
            return Decision(False, "expired", record.consumer_id, record.plan, cache_hit)
        return Decision(True, "active", record.consumer_id, record.plan, cache_hit)
