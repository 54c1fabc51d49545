"""API Gateway API keys and their usage-plan links, with the undo steps that keep them orphan-free."""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools import Logger

KEY_ALPHABET = string.ascii_letters + string.digits
KEY_LENGTH = 40  # ~238 bits; API Gateway wants at least 20 characters

logger = Logger(child=True)


def generate_key() -> str:
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))


@contextmanager
def _already_gone_is_fine() -> Iterator[None]:
    """Swallow API Gateway's "not found" (a retry finding its work done); re-raise anything else."""
    try:
        yield
    except Exception as exc:
        response = getattr(exc, "response", None) or {}
        if response.get("Error", {}).get("Code") not in {"NotFoundException", "ResourceNotFoundException"}:
            raise


class ApiKeys:
    """Thin wrapper over the API Gateway calls the function's role allows:
    POST /apikeys, POST /usageplans/*/keys, GET/PATCH/DELETE /apikeys/* and /usageplans/*/keys/*."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def provision(self, consumer_id: str, label: str, value: str, usage_plan_id: str) -> str:
        """Create an enabled key with `value` and link it to the usage plan; returns the key id.
        If the link fails, the key is deleted again before the error propagates."""
        created = self.client.create_api_key(
            name=consumer_id, description=label[:120], enabled=True, value=value, customerId=consumer_id
        )
        api_key_id: str = created["id"]
        try:
            self.client.create_usage_plan_key(usagePlanId=usage_plan_id, keyId=api_key_id, keyType="API_KEY")
        except Exception:
            self.undo(api_key_id, usage_plan_id=None, consumer_id=consumer_id)
            raise
        return api_key_id

    def undo(self, api_key_id: str, usage_plan_id: str | None, consumer_id: str) -> bool:
        """Best-effort removal of a key created by this request; True when nothing is left behind."""
        clean = True
        if usage_plan_id is not None:
            clean &= self._quietly(self.unlink, api_key_id, usage_plan_id, consumer_id=consumer_id)
        clean &= self._quietly(self.delete, api_key_id, consumer_id=consumer_id)
        return clean

    def unlink(self, api_key_id: str, usage_plan_id: str) -> None:
        """Remove the key from the usage plan; a link that is already gone is fine (retries)."""
        with _already_gone_is_fine():
            self.client.get_usage_plan_key(usagePlanId=usage_plan_id, keyId=api_key_id)
            self.client.delete_usage_plan_key(usagePlanId=usage_plan_id, keyId=api_key_id)

    def delete(self, api_key_id: str) -> None:
        with _already_gone_is_fine():
            self.client.delete_api_key(apiKey=api_key_id)

    def disable(self, api_key_id: str) -> None:
        with _already_gone_is_fine():
            self.client.update_api_key(
                apiKey=api_key_id, patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}]
            )

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
