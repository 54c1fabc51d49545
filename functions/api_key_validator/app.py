"""REST API Lambda REQUEST authorizer: allows callers whose `x-api-key` belongs to an active consumer.

Allow: a policy on every method of the calling stage (so API Gateway's authorizer cache is valid for
all routes), `usageIdentifierKey` = the caller's key (the API meters keys from the authorizer), and
context `consumer_id` / `plan`. Anything else, including malformed events and table errors, is a
Deny. The handler never raises and never logs the key, the event or the response.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerRequestEvent,
    APIGatewayAuthorizerResponse,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from key_lookup import Decision, DynamoKeyStore, KeyStoreError, KeyValidator, TtlCache, fingerprint, hash_key
from method_arn import MethodArn, parse_method_arn

API_KEY_HEADER = "x-api-key"
DEFAULT_CACHE_TTL_SECONDS = 60.0
ANONYMOUS = "anonymous"

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace=os.getenv("POWERTOOLS_METRICS_NAMESPACE") or "Platform")

_validator: KeyValidator | None = None


def cache_ttl_from_env() -> float:
    raw = os.getenv("KEY_CACHE_TTL_SECONDS", "")
    try:
        ttl = float(raw) if raw else DEFAULT_CACHE_TTL_SECONDS
    except ValueError:
        logger.warning("KEY_CACHE_TTL_SECONDS is not a number; using the default", extra={"value": raw})
        return DEFAULT_CACHE_TTL_SECONDS
    return max(ttl, 0.0)


def get_validator() -> KeyValidator:
    """The container-wide validator (and its cache), built from the environment on first use."""
    global _validator
    if _validator is None:
        store = DynamoKeyStore(table_name=os.environ["CONSUMERS_TABLE_NAME"])
        _validator = KeyValidator(store=store, cache=TtlCache(ttl_seconds=cache_ttl_from_env()))
    return _validator


def set_validator(validator: KeyValidator | None) -> None:
    """Inject a validator (tests, benchmarks); None rebuilds it from the environment on next use."""
    global _validator
    _validator = validator


def deny_response(arn: MethodArn | None) -> dict[str, Any]:
    if arn is None:
        # Unparseable ARN: a Deny on everything is always safe.
        response = APIGatewayAuthorizerResponse(ANONYMOUS, "*", "*", "*", "*")
    else:
        response = APIGatewayAuthorizerResponse(
            ANONYMOUS, arn.region, arn.account, arn.api_id, arn.stage, partition=arn.partition
        )
    response.deny_all_routes()
    return response.asdict()


def allow_response(arn: MethodArn, decision: Decision, api_key: str) -> dict[str, Any]:
    response = APIGatewayAuthorizerResponse(
        principal_id=str(decision.consumer_id),
        region=arn.region,
        aws_account_id=arn.account,
        api_id=arn.api_id,
        stage=arn.stage,
        context={"consumer_id": str(decision.consumer_id), "plan": str(decision.plan)},
        usage_identifier_key=api_key,
        partition=arn.partition,
    )
    response.allow_all_routes()
    return response.asdict()


def _record(decision: Decision, key_label: str | None) -> None:
    metrics.add_metric(name="Allowed" if decision.allowed else "Denied", unit=MetricUnit.Count, value=1)
    if decision.cache_hit:
        metrics.add_metric(name="KeyCacheHit", unit=MetricUnit.Count, value=1)
    metrics.add_metadata(key="reason", value=decision.reason)
    logger.info(
        "authorization decided",
        extra={
            "decision": "allow" if decision.allowed else "deny",
            "reason": decision.reason,
            "consumer_id": decision.consumer_id,
            "key_fingerprint": key_label,
            "cache_hit": decision.cache_hit,
        },
    )


def authorize(event: Any, validator: KeyValidator) -> dict[str, Any]:
    """The whole decision for one event; raises only on programming errors (the handler catches)."""
    if not isinstance(event, dict):
        _record(Decision(False, "malformed_event"), None)
        return deny_response(None)
    request = APIGatewayAuthorizerRequestEvent(event)
    arn = parse_method_arn(event.get("methodArn"))
    if arn is None or event.get("type") != "REQUEST" or not isinstance(event.get("headers"), dict):
        _record(Decision(False, "malformed_event"), None)
        return deny_response(arn)

    api_key = request.headers.get(API_KEY_HEADER)  # Powertools' headers mapping is case-insensitive
    key_label = fingerprint(hash_key(api_key)) if isinstance(api_key, str) and api_key else None
    try:
        decision = validator.check(api_key)
    except KeyStoreError as exc:
        metrics.add_metric(name="LookupErrors", unit=MetricUnit.Count, value=1)
        logger.error("key lookup failed; denying", extra={"error": str(exc), "key_fingerprint": key_label})
        decision = Decision(False, "lookup_error")

    _record(decision, key_label)
    if decision.allowed and isinstance(api_key, str):
        return allow_response(arn, decision, api_key)
    return deny_response(arn)


# capture_response=False: the Allow response carries the caller's key (usageIdentifierKey).
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    try:
        return authorize(event, get_validator())
    except Exception:
        # logger.exception would print the traceback; exception messages here never contain the key.
        logger.exception("authorizer failed; denying")
        metrics.add_metric(name="Denied", unit=MetricUnit.Count, value=1)
        arn = parse_method_arn(event.get("methodArn")) if isinstance(event, dict) else None
        return deny_response(arn)
