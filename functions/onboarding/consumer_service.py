"""Consumer lifecycle: create (idempotent), show, rotate, revoke; each step undone if a later one fails.

Order of operations, chosen so that a failure half-way never leaves something usable behind:

- create: API key -> usage-plan link -> table transaction. A failed link deletes the key; a failed
  transaction removes the link and the key. The idempotency record is only kept on success, so a
  retry with the same client_token starts clean. If the consumer is created but the success record
  cannot be saved, the caller still gets the consumer and its key (shown once, so never dropped).
- rotate: new key + link -> table swap (the old key item goes away, so the validator denies the old
  key from then on) -> old link and old key removed.
- revoke: table first (the validator denies at once) -> link removed -> API key disabled. DELETE is
  safe to retry: an already revoked consumer only gets the API Gateway clean-up again.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import boto3
from api_keys import ApiKeys, generate_key
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.parameters import SSMProvider
from botocore.config import Config
from consumer_models import (
    BadRequest,
    Conflict,
    CreateConsumerRequest,
    NotFound,
    Unavailable,
    UpstreamFailure,
)
from consumer_store import ACTIVE, REVOKED, Consumer, ConsumerStore

# Bounded so that a whole request (a few calls plus undo steps) stays inside API Gateway's 29 s limit.
CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 2, "mode": "standard"})
PLANS_CACHE_SECONDS = 300
IDEMPOTENCY_SECONDS = 24 * 3600
# What a conditional transaction answers when the consumer changed since it was read.
CHANGED_MEANWHILE = frozenset({"TransactionCanceledException", "ConditionalCheckFailedException"})

logger = Logger(child=True)


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def new_consumer_id() -> str:
    return "c-" + uuid.uuid4().hex


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", type(exc).__name__))


@dataclass(frozen=True)
class Settings:
    consumers_table: str
    idempotency_table: str
    usage_plans_parameter: str

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            consumers_table=os.environ["CONSUMERS_TABLE_NAME"],
            idempotency_table=os.environ["IDEMPOTENCY_TABLE_NAME"],
            usage_plans_parameter=os.environ["USAGE_PLANS_PARAMETER"],
        )


class AwsClients:
    """boto3 clients created on first use, or injected (tests, event hooks)."""

    def __init__(self, dynamodb: Any = None, apigateway: Any = None, ssm: Any = None) -> None:
        self._clients = {"dynamodb": dynamodb, "apigateway": apigateway, "ssm": ssm}

    def get(self, service: str) -> Any:
        if self._clients[service] is None:
            self._clients[service] = boto3.client(service, config=CLIENT_CONFIG)  # type: ignore[call-overload]
        return self._clients[service]


@dataclass(frozen=True)
class CreateResult:
    consumer: dict[str, Any]
    api_key: str | None  # None when the response is an idempotent replay: keys are shown once
    replayed: bool


class ConsumerService:
    def __init__(
        self,
        settings: Settings,
        clients: AwsClients | None = None,
        clock: Callable[[], float] = time.time,
        key_factory: Callable[[], str] = generate_key,
    ) -> None:
        self.settings = settings
        self.clients = clients or AwsClients()
        self.clock = clock
        self.key_factory = key_factory
        self.store = ConsumerStore(settings.consumers_table, self.clients.get("dynamodb"))
        self.api_keys = ApiKeys(self.clients.get("apigateway"))
        self.plans_provider = SSMProvider(boto3_client=self.clients.get("ssm"))
        self.persistence = DynamoDBPersistenceLayer(
            table_name=settings.idempotency_table, boto3_client=self.clients.get("dynamodb")
        )
        self.idempotency = IdempotencyConfig(
            event_key_jmespath="client_token",
            payload_validation_jmespath="[name, plan, description, contact, expires_at]",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=IDEMPOTENCY_SECONDS,
        )

    # -- plans ------------------------------------------------------------------------------------

    def plans(self) -> dict[str, str]:
        """Plan name -> usage plan id, from the SSM parameter (cached PLANS_CACHE_SECONDS)."""
        try:
            value = self.plans_provider.get(
                self.settings.usage_plans_parameter, transform="json", max_age=PLANS_CACHE_SECONDS
            )
        except Exception as exc:
            logger.error("usage plans parameter unreadable", extra={"error": type(exc).__name__})
            raise Unavailable("usage plans are unavailable; try again later") from exc
        well_formed = isinstance(value, dict) and all(
            isinstance(name, str) and isinstance(plan_id, str) for name, plan_id in value.items()
        )
        if not well_formed:
            logger.error("usage plans parameter is not a JSON object of strings")
            raise Unavailable("usage plans are misconfigured")
        return value

    def usage_plan_for(self, plan: str) -> str:
        plans = self.plans()
        if plan not in plans:
            expected = ", ".join(sorted(plans)) or "none configured"
            raise BadRequest(f"plan: unknown plan '{plan}' (expected one of: {expected})", ["plan"])
        return plans[plan]

    # -- reads ------------------------------------------------------------------------------------

    def load(self, consumer_id: str) -> Consumer:
        try:
            consumer = self.store.get(consumer_id)
        except Exception as exc:
            raise UpstreamFailure(f"reading consumer failed ({_error_code(exc)})") from exc
        if consumer is None:
            raise NotFound(f"id: consumer {consumer_id} does not exist", ["id"])
        return consumer

    def show(self, consumer_id: str) -> dict[str, Any]:
        return self.load(consumer_id).public()

    # -- create -----------------------------------------------------------------------------------

    def create(self, model: CreateConsumerRequest) -> CreateResult:
        usage_plan_id = self.usage_plan_for(model.plan)  # a bad plan is a 400 before anything is written
        issued: dict[str, Any] = {}

        def create_once(request: dict[str, Any]) -> dict[str, Any]:
            # `request` (the JSON form) is what idempotency hashes; the validated model is used to build.
            consumer, api_key = self._provision(model, usage_plan_id)
            issued.update(api_key=api_key, consumer=consumer.public())
            return issued["consumer"]

        idempotent_create = idempotent_function(
            data_keyword_argument="request",
            persistence_store=self.persistence,
            config=self.idempotency,
            key_prefix="onboarding.create_consumer",
        )(create_once)
        try:
            stored = idempotent_create(request=model.model_dump(mode="json"))
        except IdempotencyValidationError:
            raise Conflict("client_token: already used with a different request body", ["client_token"]) from None
        except IdempotencyAlreadyInProgressError:
            raise Conflict(
                "client_token: a request with this token is still in progress; retry shortly",
                ["client_token"],
            ) from None
        except IdempotencyPersistenceLayerError as exc:
            if "api_key" not in issued:
                raise Unavailable("idempotency store is unavailable; try again later") from exc
            # The consumer and its key exist; only the success record is missing. Answering 503 would
            # lose the key, which is shown once, so the caller gets its consumer. A retry with this
            # client_token meets the in-progress record (409) until it expires.
            logger.error(
                "consumer created but its idempotency record was not saved",
                extra={"consumer_id": issued["consumer"]["id"], "error": _error_code(exc.__cause__ or exc)},
            )
            stored = issued["consumer"]

        if "api_key" in issued:
            return CreateResult(stored, issued["api_key"], replayed=False)
        # Replay: the key is not stored anywhere in plain text, so it cannot be shown again.
        try:
            current = self.show(stored["id"])
        except NotFound:
            current = stored
        return CreateResult(current, None, replayed=True)

    def _provision(self, request: CreateConsumerRequest, usage_plan_id: str) -> tuple[Consumer, str]:
        consumer_id = new_consumer_id()
        api_key = self.key_factory()
        try:
            api_key_id = self.api_keys.provision(consumer_id, request.name, api_key, usage_plan_id)
        except Exception as exc:
            code = _error_code(exc)
            logger.error("creating the API key failed", extra={"consumer_id": consumer_id, "error": code})
            raise UpstreamFailure(f"creating the API key failed ({code}); nothing was created") from exc

        consumer = Consumer(
            consumer_id=consumer_id,
            name=request.name,
            plan=request.plan,
            usage_plan_id=usage_plan_id,
            status=ACTIVE,
            key_hash=hash_key(api_key),
            api_key_id=api_key_id,
            created_at=int(self.clock()),
            description=request.description,
            contact=request.contact,
            expires_at=request.expires_at.timestamp() if request.expires_at else None,
        )
        try:
            self.store.insert(consumer)
        except Exception as exc:
            clean = self.api_keys.undo(api_key_id, usage_plan_id, consumer_id)
            logger.error(
                "storing the consumer failed; API key removed" if clean else "storing the consumer failed",
                extra={"consumer_id": consumer_id, "api_key_id": api_key_id, "error": _error_code(exc)},
            )
            message = f"storing the consumer failed ({_error_code(exc)}); nothing was created"
            raise UpstreamFailure(message) from exc
        logger.info("consumer created", extra={"consumer_id": consumer_id, "plan": request.plan})
        return consumer, api_key

    # -- rotate -----------------------------------------------------------------------------------

    def rotate(self, consumer_id: str) -> tuple[dict[str, Any], str]:
        old = self.load(consumer_id)
        if old.status != ACTIVE:
            message = f"id: consumer {consumer_id} is {old.status}; only active consumers can rotate"
            raise Conflict(message, ["id"])
        usage_plan_id = self.plans().get(old.plan)
        if usage_plan_id is None:
            raise Conflict(f"plan: consumer's plan '{old.plan}' no longer exists", ["plan"])

        api_key = self.key_factory()
        try:
            api_key_id = self.api_keys.provision(consumer_id, old.name, api_key, usage_plan_id)
        except Exception as exc:
            message = f"creating the new API key failed ({_error_code(exc)}); key unchanged"
            raise UpstreamFailure(message) from exc

        new = replace(
            old,
            key_hash=hash_key(api_key),
            api_key_id=api_key_id,
            usage_plan_id=usage_plan_id,
            rotated_at=int(self.clock()),
        )
        try:
            self.store.replace_key(old, new)
        except Exception as exc:
            self.api_keys.undo(api_key_id, usage_plan_id, consumer_id)
            if _error_code(exc) in CHANGED_MEANWHILE:
                raise Conflict(f"id: consumer {consumer_id} changed during rotation; retry", ["id"]) from exc
            raise UpstreamFailure(f"storing the new key failed ({_error_code(exc)}); key unchanged") from exc

        # The old key is already denied by the validator (its key item is gone); this is tidying up.
        if not self.api_keys.undo(old.api_key_id, old.usage_plan_id, consumer_id):
            logger.warning("old API key not fully removed", extra={"consumer_id": consumer_id})
        logger.info("consumer key rotated", extra={"consumer_id": consumer_id})
        return new.public(), api_key

    # -- revoke -----------------------------------------------------------------------------------

    def revoke(self, consumer_id: str) -> dict[str, Any]:
        consumer = self.load(consumer_id)
        if consumer.status == ACTIVE:
            revoked_at = int(self.clock())
            try:
                self.store.mark_revoked(consumer, revoked_at)
            except Exception as exc:
                if _error_code(exc) in CHANGED_MEANWHILE:
                    message = f"id: consumer {consumer_id} changed during revocation; retry"
                    raise Conflict(message, ["id"]) from exc
                raise UpstreamFailure(f"revoking failed ({_error_code(exc)}); consumer unchanged") from exc
            consumer = replace(consumer, status=REVOKED, revoked_at=revoked_at)

        try:
            self.api_keys.unlink(consumer.api_key_id, consumer.usage_plan_id)
            self.api_keys.disable(consumer.api_key_id)
        except Exception as exc:
            logger.error("revoked, but API key clean-up failed", extra={"consumer_id": consumer_id})
            raise UpstreamFailure(
                f"consumer revoked, but disabling its API key failed ({_error_code(exc)}); retry the DELETE"
            ) from exc
        logger.info("consumer revoked", extra={"consumer_id": consumer_id})
        return consumer.public()
