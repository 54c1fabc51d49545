"""Rotate and revoke: the writes that take a working key away, each one confirmed by reading back.

Rotate: new key + link -> table swap (the validator denies the old key from then on) -> old link and
old key removed -> authorizer caches flushed. Revoke: table first -> link removed -> API key
disabled -> authorizer caches flushed. Nothing the table may refer to is ever undone on an error
whose outcome is unknown.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from consumer_models import Conflict, OutcomeUnknown, RotateConsumerRequest, UpstreamFailure
from consumer_store import ACTIVE, REVOKED, Consumer, hash_key, iso
from outcomes import StepFailed, StepUnknown, confirm, error_code

if TYPE_CHECKING:
    from consumer_service import ConsumerService

logger = Logger(child=True)


def rotate(svc: ConsumerService, consumer_id: str, request: RotateConsumerRequest) -> tuple[dict[str, Any], str]:
    old = svc.load(consumer_id)
    if old.status != ACTIVE:
        raise Conflict(f"id: consumer {consumer_id} is {old.status}; only active consumers can rotate", ["id"])
    now = svc.clock()
    if request.expires_at is None and old.expires_at is not None and old.expires_at <= now:
        # A new key for an expired consumer would be denied at once: renewing must be explicit.
        message = (
            f"id: consumer {consumer_id} expired at {iso(old.expires_at)}; rotate with a new expires_at to renew it"
        )
        raise Conflict(message, ["id"])
    usage_plan_id = svc.plans().get(old.plan)
    if usage_plan_id is None:
        raise Conflict(f"plan: consumer's plan '{old.plan}' no longer exists", ["plan"])

    api_key = svc.key_factory()
    unchanged = "key unchanged"
    try:
        api_key_id = svc.api_keys.create(consumer_id, old.name, api_key)
    except StepFailed as exc:
        raise UpstreamFailure(f"creating the new API key failed ({exc.code}); {unchanged}") from exc
    except StepUnknown as exc:
        message = (
            f"creating the new API key: outcome unknown ({exc.code}); the current key is unchanged and "
            "still works; retry the rotation (an unused key is removed by the reconciler)"
        )
        raise OutcomeUnknown(message) from exc
    try:
        svc.api_keys.link(api_key_id, usage_plan_id)
    except (StepFailed, StepUnknown) as exc:
        left = svc._undo_unreferenced(api_key_id, usage_plan_id, consumer_id)  # nothing refers to it yet
        raise UpstreamFailure(f"creating the new API key failed ({exc.code}); {unchanged}{left}") from exc

    new = replace(
        old,
        key_hash=hash_key(api_key),
        api_key_id=api_key_id,
        usage_plan_id=usage_plan_id,
        rotated_at=int(now),
        previous_api_key_id=old.api_key_id,
        expires_at=request.expires_at.timestamp() if request.expires_at else old.expires_at,
    )
    state: dict[str, Consumer | None] = {}

    def swapped() -> bool | None:
        state["current"] = current = svc.store.get(consumer_id)
        return True if current is not None and current.key_hash == new.key_hash else None

    try:
        confirm("TransactWriteItems", lambda: svc.store.replace_key(old, new), swapped, consumer_id=consumer_id)
    except StepFailed as exc:
        left = svc._undo_unreferenced(api_key_id, usage_plan_id, consumer_id)
        current = state.get("current")
        if current is None or current.status != ACTIVE or current.key_hash != old.key_hash:
            raise Conflict(f"id: consumer {consumer_id} changed during rotation; retry{left}", ["id"]) from exc
        raise UpstreamFailure(f"storing the new key failed ({exc.code}); {unchanged}{left}") from exc
    except StepUnknown as exc:
        # The swap may have committed: the new key may be the consumer's only key, so it stays.
        message = (
            f"storing the new key: outcome unknown ({exc.code}); the consumer's key may have changed "
            "without this answer carrying it: retry the rotation to get a working key"
        )
        raise OutcomeUnknown(message) from exc

    # The old key is already denied by the validator (its key item is gone); this is tidying up. The
    # key before it goes too: a rotation whose answer was lost may not have removed it.
    stale = [old.api_key_id] + ([old.previous_api_key_id] if old.previous_api_key_id else [])
    for stale_id in stale:
        if not svc.api_keys.undo(stale_id, old.usage_plan_id, consumer_id):
            logger.warning("old API key not fully removed", extra={"consumer_id": consumer_id, "api_key_id": stale_id})
    svc.caches.flush(consumer_id)
    logger.info("consumer key rotated", extra={"consumer_id": consumer_id, "renewed": request.expires_at is not None})
    return new.public(), api_key


def revoke(svc: ConsumerService, consumer_id: str) -> dict[str, Any]:
    consumer = svc.load(consumer_id)
    if consumer.status == ACTIVE:
        revoked_at = int(svc.clock())
        state: dict[str, Consumer | None] = {}

        def revoked() -> bool | None:
            state["current"] = current = svc.store.get(consumer_id)
            return True if current is not None and current.status == REVOKED else None

        try:
            confirm(
                "TransactWriteItems",
                lambda: svc.store.mark_revoked(consumer, revoked_at),
                revoked,
                consumer_id=consumer_id,
            )
        except StepFailed as exc:
            current = state.get("current")
            if current is None or current.key_hash != consumer.key_hash:
                message = f"id: consumer {consumer_id} changed during revocation; retry"
                raise Conflict(message, ["id"]) from exc
            raise UpstreamFailure(f"revoking failed ({exc.code}); consumer unchanged") from exc
        except StepUnknown as exc:
            message = f"revoking: outcome unknown ({exc.code}); repeat the DELETE (it is safe to repeat)"
            raise OutcomeUnknown(message) from exc
        consumer = state.get("current") or replace(consumer, status=REVOKED, revoked_at=revoked_at)

    try:
        svc.api_keys.unlink(consumer.api_key_id, consumer.usage_plan_id)
        svc.api_keys.disable(consumer.api_key_id)
    except StepUnknown as exc:
        svc.caches.flush(consumer_id)  # the table denies already: make API Gateway ask the validator again
        message = f"consumer revoked; disabling its API key: outcome unknown ({exc.code}); repeat the DELETE"
        raise OutcomeUnknown(message) from exc
    except Exception as exc:
        svc.caches.flush(consumer_id)
        logger.error("revoked, but API key clean-up failed", extra={"consumer_id": consumer_id})
        raise UpstreamFailure(
            f"consumer revoked, but disabling its API key failed ({error_code(exc)}); retry the DELETE"
        ) from exc
    svc.caches.flush(consumer_id)
    logger.info("consumer revoked", extra={"consumer_id": consumer_id})
    return consumer.public()
