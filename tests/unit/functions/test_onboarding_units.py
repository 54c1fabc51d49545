"""Onboarding's pure parts: body parsing, the item layout, key generation, resolver settings."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest


@pytest.fixture()
def models(load_function):
    return load_function("onboarding", "consumer_models")


@pytest.fixture()
def store(load_function):
    return load_function("onboarding", "consumer_store")


@pytest.fixture()
def keys(load_function):
    return load_function("onboarding", "api_keys")


def consumer(store, **changes):
    fields = {
        "consumer_id": "c-" + "a" * 32,
        "name": "Acme",
        "plan": "basic",
        "usage_plan_id": "up1",
        "status": "active",
        "key_hash": "f" * 64,
        "api_key_id": "k1",
        "created_at": 1_795_521_600.7,
    }
    fields.update(changes)
    return store.Consumer(**fields)


def test_parse_create_strips_whitespace_and_keeps_the_timezone(models):
    request = models.parse_create(
        json.dumps(
            {
                "name": "  Acme  ",
                "plan": "basic",
                "client_token": "token-0001",
                "expires_at": "2030-01-31T01:00:00+01:00",
            }
        )
    )
    assert (request.name, request.expires_at.timestamp(), request.description) == ("Acme", 1896048000.0, None)


def test_parse_rotate_accepts_no_body_and_an_empty_object(models):
    assert models.parse_rotate(None) == models.RotateConsumerRequest()
    assert models.parse_rotate("{}") == models.RotateConsumerRequest()


def test_json_object_measures_the_size_in_bytes_not_characters(models):
    body = json.dumps({"d": "é" * 2100})  # 2,100 characters, 4,200+ bytes
    with pytest.raises(models.BadRequest) as raised:
        models.json_object(body)
    assert raised.value.body() == {
        "error": "bad_request",
        "message": "body: must be at most 4096 bytes",
        "fields": ["body"],
    }


@pytest.mark.parametrize(
    ("candidate", "valid"),
    [("c-" + "0" * 32, True), ("c-" + "0" * 31, False), ("C-" + "0" * 32, False), ("c-" + "g" * 32, False)],
)
def test_consumer_id_format(models, candidate, valid):
    if valid:
        assert models.check_consumer_id(candidate) == candidate
    else:
        with pytest.raises(models.BadRequest):
            models.check_consumer_id(candidate)


def test_consumer_item_round_trips_with_whole_second_timestamps(store):
    original = consumer(store, description="d", expires_at=1_896_048_000.0)
    item = original.to_item()
    assert (item["created_at"], item["expires_at"], "contact" in item) == (
        Decimal(1795521600),
        Decimal(1896048000),
        False,
    )
    restored = store.Consumer.from_item(item)
    assert restored == consumer(store, description="d", expires_at=1_896_048_000.0, created_at=1_795_521_600.0)


def test_key_item_is_what_the_validator_reads(store):
    assert consumer(store, rotated_at=1_795_600_000.0, expires_at=1_896_048_000.0).key_item() == {
        "pk": "key#" + "f" * 64,
        "type": "key",
        "key_hash": "f" * 64,
        "consumer_id": "c-" + "a" * 32,
        "plan": "basic",
        "status": "active",
        "api_key_id": "k1",
        "created_at": Decimal(1795600000),
        "expires_at": Decimal(1896048000),
    }


def test_public_view_shows_iso_times_and_a_fingerprint_only(store):
    public = consumer(store, revoked_at=1_795_525_200.0, status="revoked").public()
    assert (public["created_at"], public["revoked_at"], public["key_fingerprint"]) == (
        "2026-11-24T12:00:00Z",
        "2026-11-24T13:00:00Z",
        "f" * 12,
    )
    assert "key_hash" not in public


def test_generated_keys_are_long_alphanumeric_and_distinct(keys):
    generated = {keys.generate_key() for _ in range(200)}
    assert len(generated) == 200
    assert all(re.fullmatch(r"[A-Za-z0-9]{40}", key) for key in generated)


@pytest.mark.parametrize(("raw", "prefixes"), [("/admin", ["/admin"]), ("admin/", ["/admin"]), ("", []), (None, [])])
def test_base_path_becomes_a_resolver_prefix(load_function, platform_env, raw, prefixes):
    assert load_function("onboarding").strip_prefixes(raw) == prefixes


@pytest.fixture()
def platform_env(monkeypatch):
    monkeypatch.setenv("ADMIN_BASE_PATH", "/admin")
