"""The validator's pure parts: key checks, the TTL cache, decisions, ARN parsing (no AWS)."""

from __future__ import annotations

import hashlib

import pytest

KEY = "Zq7RkD2mVw9XcT4bLp8NsY3fHj6GaE1uKo5iMr0Q"


@pytest.fixture()
def lookup(load_function):
    return load_function("api_key_validator", "key_lookup")


@pytest.fixture()
def method_arn(load_function):
    return load_function("api_key_validator", "method_arn")


class MemoryStore:
    def __init__(self, records):
        self.records = records
        self.calls = 0

    def get(self, key_hash):
        self.calls += 1
        return self.records.get(key_hash)


def record(lookup, key=KEY, **changes):
    fields = {
        "key_hash": hashlib.sha256(key.encode()).hexdigest(),
        "consumer_id": "c-1",
        "plan": "basic",
        "status": "active",
        "expires_at": None,
    }
    fields.update(changes)
    return lookup.KeyRecord(**fields)


def validator(lookup, clock, *records):
    store = MemoryStore({item.key_hash: item for item in records})
    return lookup.KeyValidator(store, lookup.TtlCache(60, clock=clock), clock=clock), store


def test_hash_key_is_the_sha256_hex_digest(lookup):
    assert lookup.hash_key("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        (KEY, True),
        ("a" * 20, True),
        ("a" * 256, True),
        ("a" * 19, False),
        ("a" * 257, False),
        (KEY[:-1] + " ", False),
        (KEY[:-1] + "\t", False),
        (KEY[:-1] + "é", False),
        (KEY[:-1] + "\x07", False),
        (None, False),
        (12345678901234567890123, False),
        ([KEY], False),
    ],
)
def test_well_formed_key_rules(lookup, candidate, expected):
    assert lookup.is_well_formed_key(candidate) is expected


@pytest.mark.parametrize(
    ("presented", "stored", "now_offset", "reason", "allowed"),
    [
        (KEY, {}, 0, "active", True),
        (None, {}, 0, "missing_key", False),
        ("", {}, 0, "missing_key", False),
        ("short", {}, 0, "malformed_key", False),
        (KEY[::-1], {}, 0, "unknown_key", False),
        (KEY, {"status": "revoked"}, 0, "revoked", False),
        (KEY, {"status": "suspended"}, 0, "revoked", False),
        (KEY, {"expires_at": 1_000.0}, 999, "active", True),
        (KEY, {"expires_at": 1_000.0}, 1_000, "expired", False),
        (KEY, {"key_hash": "0" * 64}, 0, "hash_mismatch", False),
    ],
)
def test_validator_decision_table(lookup, clock, presented, stored, now_offset, reason, allowed):
    clock.now = now_offset
    item = record(lookup, **stored)
    store = MemoryStore({hashlib.sha256(KEY.encode()).hexdigest(): item})
    decision = lookup.KeyValidator(store, lookup.TtlCache(60, clock=clock), clock=clock).check(presented)
    assert (decision.allowed, decision.reason) == (allowed, reason)


def test_validator_does_not_look_up_malformed_keys(lookup, clock):
    check, store = validator(lookup, clock, record(lookup))
    check.check("x" * 5)
    check.check(None)
    assert store.calls == 0


def test_validator_does_not_cache_lookup_errors(lookup, clock):
    class BrokenStore:
        calls = 0

        def get(self, key_hash):
            BrokenStore.calls += 1
            raise lookup.KeyStoreError("ProvisionedThroughputExceededException")

    check = lookup.KeyValidator(BrokenStore(), lookup.TtlCache(60, clock=clock), clock=clock)
    for _ in range(2):
        with pytest.raises(lookup.KeyStoreError):
            check.check(KEY)
    assert BrokenStore.calls == 2


def test_cache_entry_expires_exactly_at_the_ttl(lookup, clock):
    cache = lookup.TtlCache(ttl_seconds=60, clock=clock)
    item = record(lookup)
    cache.put("h", item)
    clock.advance(59.999)
    assert cache.get("h") is item
    clock.advance(0.001)
    assert cache.get("h") is lookup._ABSENT
    assert len(cache) == 0


def test_cache_remembers_misses_as_none(lookup, clock):
    cache = lookup.TtlCache(ttl_seconds=60, clock=clock)
    cache.put("h", None)
    assert cache.get("h") is None
    assert cache.get("other") is lookup._ABSENT


def test_cache_evicts_the_least_recently_used_entry(lookup, clock):
    cache = lookup.TtlCache(ttl_seconds=60, clock=clock, max_entries=2)
    cache.put("a", None)
    cache.put("b", None)
    cache.get("a")
    cache.put("c", None)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, lookup._ABSENT, None)


def test_cache_with_zero_ttl_is_off(lookup, clock):
    cache = lookup.TtlCache(ttl_seconds=0, clock=clock)
    cache.put("h", None)
    assert cache.get("h") is lookup._ABSENT


def test_method_arn_is_parsed_into_its_parts(method_arn):
    parsed = method_arn.parse_method_arn(
        "arn:aws-cn:execute-api:cn-north-1:123456789012:a1b2c3d4e5/prod_v2/POST/quoting/quotes/42"
    )
    assert parsed == method_arn.MethodArn(
        partition="aws-cn",
        region="cn-north-1",
        account="123456789012",
        api_id="a1b2c3d4e5",
        stage="prod_v2",
        method="POST",
        path="quoting/quotes/42",
    )


@pytest.mark.parametrize(
    "value",
    [
        "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/GET/*",
        "arn:aws:execute-api:eu-west-1:123456789012:*/dev/GET/x",
        "arn:aws:execute-api:eu-west-1:123456789012:A1B2/dev/GET/x",
        "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/d*v/GET/x",
        "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/get/x",
        "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev",
        "arn:aws:execute-api:EU-WEST-1:123456789012:a1b2c3d4e5/dev/GET/x",
        "arn:other:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/GET/x",
        "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/GET/x y",
        "",
        None,
        42,
    ],
)
def test_method_arn_rejects_anything_unusual(method_arn, value):
    assert method_arn.parse_method_arn(value) is None
