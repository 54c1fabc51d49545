"""API Gateway API keys and their usage-plan links: writes confirmed by reading back, undo steps."""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools import Logger
from outcomes import confirm, error_code

KEY_ALPHABET = string.ascii_letters + string.digits
KEY_LENGTH = 40  # ~238 bits; API Gateway wants at least 20 characters

logger = Logger(child=True)


def generate_key() -> str:
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))


def _is_not_found(exc: Exception) -> bool:
    return error_code(exc) in {"NotFoundException", "ResourceNotFoundException"}


@contextmanager
def _already_gone_is_fine() -> Iterator[None]:
    """Swallow API Gateway's "not found" (a retry finding its work done); re-raise anything else."""
    try:
        yield
    except Exception as exc:
        if not _is_not_found(exc):
            raise


class ApiKeys:
    """Thin wrapper over the API Gateway calls the function's role allows: POST /apikeys and
    /usageplans/*/keys; GET /apikeys (by name), GET/PATCH/DELETE /apikeys/* and /usageplans/*/keys/*.

    Every key of a consumer is named after the consumer id, so a key whose creation answered an error
    is found again by name (and by its value, which only this request knows)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def create(self, consumer_id: str, label: str, value: str) -> str:
        """An enabled key with `value`; its id. A lost answer (or a retry's ConflictException on the
        value the first attempt stored) is settled by finding the key again."""
        return confirm(
            "CreateApiKey",
            lambda: str(
                self.client.create_api_key(
                    name=consumer_id, description=label[:120], enabled=True, value=value, customerId=consumer_id
                )["id"]
            ),
            lambda: next((key["id"] for key in self.named(consumer_id) if key.get("value") == value), None),
            consumer_id=consumer_id,
        )

    def link(self, api_key_id: str, usage_plan_id: str) -> None:
        """Attach the key to the usage plan; an existing link (a retried call) is fine."""
        confirm(
            "CreateUsagePlanKey",
            lambda: self.client.create_usage_plan_key(usagePlanId=usage_plan_id, keyId=api_key_id, keyType="API_KEY"),
            lambda: True if self.linked(api_key_id, usage_plan_id) else None,
            api_key_id=api_key_id,
        )

    def linked(self, api_key_id: str, usage_plan_id: str) -> bool:
        try:
            self.client.get_usage_plan_key(usagePlanId=usage_plan_id, keyId=api_key_id)
        except Exception as exc:
            if _is_not_found(exc):
                return False
            raise
        return True

    def named(self, consumer_id: str) -> list[dict[str, Any]]:
        """Every API key named exactly `consumer_id`, with values (GET /apikeys?name=...)."""
        keys: list[dict[str, Any]] = []
        position: str | None = None
        while True:
            page = self.client.get_api_keys(
                nameQuery=consumer_id, includeValues=True, limit=500, **({"position": position} if position else {})
            )
            keys += [key for key in page.get("items", []) if key.get("name") == consumer_id]
            position = page.get("position")
            if not position:
                return keys

    def value_of(self, api_key_id: str) -> str | None:
        """The key's value, or None when the key is gone."""
        try:
            return str(self.client.get_api_key(apiKey=api_key_id, includeValue=True)["value"])
        except Exception as exc:
            if _is_not_found(exc):
                return None
            raise

    def undo(self, api_key_id: str, usage_plan_id: str | None, consumer_id: str) -> bool:
        """Best-effort removal of a key created by this request; True when nothing is left behind."""
        clean = True
        if usage_plan_id is not None:
            clean &= self._quietly(self.unlink, api_key_id, usage_plan_id, consumer_id=consumer_id)
        clean &= self._quietly(self.delete, api_key_id, consumer_id=consumer_id)
        return clean

    def unlink(self, api_key_id: str, usage_plan_id: str) -> None:
        """Remove the key from the usage plan; a link that is already gone is fine (retries)."""
        if not self.linked(api_key_id, usage_plan_id):
            return
        with _already_gone_is_fine():
            confirm(
                "DeleteUsagePlanKey",
                lambda: self.client.delete_usage_plan_key(usagePlanId=usage_plan_id, keyId=api_key_id),
                lambda: None if self.linked(api_key_id, usage_plan_id) else True,
                api_key_id=api_key_id,
            )

    def delete(self, api_key_id: str) -> None:
        with _already_gone_is_fine():
            confirm(
                "DeleteApiKey",
                lambda: self.client.delete_api_key(apiKey=api_key_id),
                lambda: True if self._state(api_key_id) is None else None,
                api_key_id=api_key_id,
            )

    def disable(self, api_key_id: str) -> None:
        with _already_gone_is_fine():
            confirm(
                "UpdateApiKey",
                lambda: self.client.update_api_key(
                    apiKey=api_key_id, patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}]
                ),
                lambda: True if self._state(api_key_id) in (None, False) else None,
                api_key_id=api_key_id,
            )

    def _state(self, api_key_id: str) -> bool | None:
        """Whether the key is enabled; None when it is gone."""
        try:
            return bool(self.client.get_api_key(apiKey=api_key_id)["enabled"])
        except Exception as exc:
            if _is_not_found(exc):
                return None
            raise

    @staticmethod
    def _quietly(step: Any, *args: str, consumer_id: str) -> bool:
        try:
            step(*args)
        except Exception as exc:
            logger.error(
                "cleanup step failed; an API Gateway resource may be left behind",
                extra={
                    "step": step.__name__,
                    "api_key_id": args[0],
                    "consumer_id": consumer_id,
                    "error": type(exc).__name__,
                },
            )
            return False
        return True
