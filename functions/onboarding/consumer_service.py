"""Consumer lifecycle: create (idempotent), show, rotate, revoke. The answer is always true to the
state: every write that answers an error is read back (outcomes.confirm) before anything is undone.

- create: the consumer id is derived from client_token, so a retry finds what an earlier attempt
  left: a committed consumer (answered with its key, read back from API Gateway), or a key with no
  consumer yet (adopted). API key -> usage-plan link -> table transaction.
- rotate: new key + link -> table swap (the old key item goes away, so the validator denies the old
  key from then on) -> old link and old key removed -> authorizer caches flushed.
- revoke: table first (the validator denies at once) -> link removed -> API key disabled ->
  authorizer caches flushed. DELETE is safe to retry.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import key_changes
from api_keys import ApiKeys, generate_key
from authorizer_caches import AuthorizerCaches
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
    OutcomeUnknown,
    RotateConsumerRequest,
    Unavailable,
    UpstreamFailure,
)
from consumer_store import ACTIVE, Consumer, ConsumerStore, hash_key
from outcomes import StepFailed, StepUnknown, confirm, error_code

# Bounded so that a whole request (a few calls plus undo steps) stays inside API Gateway's 29 s limit.
CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 2, "mode": "standard"})
PLANS_CACHE_SECONDS = 300
IDEMPOTENCY_SECONDS = 24 * 3600

logger = Logger(child=True)


def consumer_id_for(client_token: str) -> str:
    """The consumer a create request makes: the same for every retry with the same client_token."""
    return "c-" + hashlib.sha256(f"consumer:{client_token}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Settings:
    consumers_table: str
    idempotency_table: str
    usage_plans_parameter: str
    authorizer_stages_parameter: str | None = None  # absent when no API has the key validator

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            consumers_table=os.environ["CONSUMERS_TABLE_NAME"],
            idempotency_table=os.environ["IDEMPOTENCY_TABLE_NAME"],
            usage_plans_parameter=os.environ["USAGE_PLANS_PARAMETER"],
            authorizer_stages_parameter=os.getenv("AUTHORIZER_STAGES_PARAMETER") or None,
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
        self.caches = AuthorizerCaches(
            self.clients.get("apigateway"), self.plans_provider, settings.authorizer_stages_parameter
        )
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
            raise UpstreamFailure(f"reading consumer failed ({error_code(exc)})") from exc
        if consumer is None:
            raise NotFound(f"id: consumer {consumer_id} does not exist", ["id"])
        return consumer

    def show(self, consumer_id: str) -> dict[str, Any]:
        return self.load(consumer_id).public()

    # -- rotate, revoke (key_changes.py) ------------------------------------------------------------

    def rotate(self, consumer_id: str, request: RotateConsumerRequest | None = None) -> tuple[dict[str, Any], str]:
        return key_changes.rotate(self, consumer_id, request or RotateConsumerRequest())

    def revoke(self, consumer_id: str) -> dict[str, Any]:
        return key_changes.revoke(self, consumer_id)

    # -- create -----------------------------------------------------------------------------------

    def create(self, model: CreateConsumerRequest) -> CreateResult:
        usage_plan_id = self.usage_plan_for(model.plan)  # a bad plan is a 400 before anything is written
        issued: dict[str, Any] = {}

        def create_once(request: dict[str, Any]) -> dict[str, Any]:
            # `request` (the JSON form) is what idempotency hashes; the validated model is used to build.
            consumer, api_key = self._provision(model, usage_plan_id)
            issued["consumer"] = consumer.public()
            if api_key is not None:
                issued["api_key"] = api_key
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
            if "consumer" not in issued:
                raise Unavailable("idempotency store is unavailable; try again later") from exc
            # The consumer and its key exist; only the success record is missing. Answering 503 would
            # lose the key, which is shown once, so the caller gets its consumer. A retry with this
            # client_token meets the in-progress record (409) until it expires.
            logger.error(
                "consumer created but its idempotency record was not saved",
                extra={"consumer_id": issued["consumer"]["id"], "error": error_code(exc.__cause__ or exc)},
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

    def _provision(self, request: CreateConsumerRequest, usage_plan_id: str) -> tuple[Consumer, str | None]:
        consumer_id = consumer_id_for(request.client_token)
        try:
            existing = self.store.get(consumer_id)
            leftovers = [] if existing else self.api_keys.named(consumer_id)
        except Exception as exc:
            raise Unavailable(f"reading consumer failed ({error_code(exc)}); nothing changed, retry") from exc
        if existing is not None:
            return self._created_before(existing, request)

        unknown = f"retry with the same client_token (consumer {consumer_id})"
        if leftovers:
            # An earlier attempt with this client_token created a key but no consumer: adopt it.
            api_key_id, api_key = leftovers[0]["id"], leftovers[0]["value"]
            for extra in leftovers[1:]:
                self.api_keys.undo(extra["id"], usage_plan_id, consumer_id)
            logger.info("adopting the API key of an earlier attempt", extra={"consumer_id": consumer_id})
        else:
            api_key = self.key_factory()
            try:
                api_key_id = self.api_keys.create(consumer_id, request.name, api_key)
            except StepFailed as exc:
                raise UpstreamFailure(f"creating the API key failed ({exc.code}); nothing was created") from exc
            except StepUnknown as exc:
                raise OutcomeUnknown(f"creating the API key: outcome unknown ({exc.code}); {unknown}") from exc

        try:
            self.api_keys.link(api_key_id, usage_plan_id)
        except (StepFailed, StepUnknown) as exc:
            # Nothing refers to the key yet, so removing it is safe whatever the link's outcome.
            left = self._undo_unreferenced(api_key_id, usage_plan_id, consumer_id)
            raise UpstreamFailure(f"creating the API key failed ({exc.code}); nothing was created{left}") from exc

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
            confirm(
                "TransactWriteItems",
                lambda: self.store.insert(consumer),
                lambda: True if self._holds_key(consumer_id, consumer.key_hash) else None,
                consumer_id=consumer_id,
            )
        except StepFailed as exc:
            left = self._undo_unreferenced(api_key_id, usage_plan_id, consumer_id)
            raise UpstreamFailure(f"storing the consumer failed ({exc.code}); nothing was created{left}") from exc
        except StepUnknown as exc:
            # The consumer may exist and point at this key: the key stays, the retry settles it.
            raise OutcomeUnknown(f"storing the consumer: outcome unknown ({exc.code}); {unknown}") from exc
        logger.info("consumer created", extra={"consumer_id": consumer_id, "plan": request.plan})
        return consumer, api_key

    def _created_before(self, existing: Consumer, request: CreateConsumerRequest) -> tuple[Consumer, str | None]:
        """A retry found the consumer its client_token made: the same request gets the same consumer,
        with its key while the idempotency window lasts (an earlier answer may have been lost)."""
        expires_at = request.expires_at.timestamp() if request.expires_at else None
        wanted = (request.name, request.plan, request.description, request.contact, expires_at)
        found = (existing.name, existing.plan, existing.description, existing.contact, existing.expires_at)
        if wanted != found:
            message = f"client_token: already used for consumer {existing.consumer_id} with a different request body"
            raise Conflict(message, ["client_token"])
        if existing.status != ACTIVE or self.clock() - existing.created_at > IDEMPOTENCY_SECONDS:
            return existing, None
        try:
            value = self.api_keys.value_of(existing.api_key_id)
        except Exception as exc:
            message = f"consumer {existing.consumer_id} exists but its key could not be read ({error_code(exc)}); retry"
            raise Unavailable(message) from exc
        if value is None or hash_key(value) != existing.key_hash:
            logger.error("consumer's API key is missing or differs", extra={"consumer_id": existing.consumer_id})
            return existing, None
        logger.info("earlier attempt had created the consumer", extra={"consumer_id": existing.consumer_id})
        return existing, value

    def _holds_key(self, consumer_id: str, key_hash: str) -> bool:
        current = self.store.get(consumer_id)
        return current is not None and current.key_hash == key_hash

    def _undo_unreferenced(self, api_key_id: str, usage_plan_id: str, consumer_id: str) -> str:
        """Remove a key nothing refers to; the note the answer carries when that failed."""
        if self.api_keys.undo(api_key_id, usage_plan_id, consumer_id):
            return ""
        logger.error(
            "an unreferenced API key is left behind (a retry or the reconciler removes it)",
            extra={"consumer_id": consumer_id, "api_key_id": api_key_id},
        )
        return f" (unused API key {api_key_id} is left; the reconciler removes it)"
