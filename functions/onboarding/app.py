"""Admin API for API consumers, mounted under ADMIN_BASE_PATH (IAM-authorised at API Gateway).

POST   /consumers               create (idempotent on client_token); the key is returned once
GET    /consumers/{id}          show
POST   /consumers/{id}/rotate   new key, old key revoked ({"expires_at": ...} renews explicitly)
DELETE /consumers/{id}          revoke: validator denies, usage-plan link removed, API key disabled

Every request is audited (audit.py); one without an IAM caller is refused (403) before routing.
Another method on a known path answers 405 with an `Allow` header.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
import warnings
from http import HTTPStatus
from typing import Any

from audit import AuditRecord, AuditTrail, caller_arn
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from consumer_models import (
    OutcomeUnknown,
    ServiceError,
    Unavailable,
    check_consumer_id,
    decode_body,
    parse_create,
    parse_rotate,
)
from consumer_service import ConsumerService, Settings, consumer_id_for

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace=os.getenv("POWERTOOLS_METRICS_NAMESPACE") or "Platform")
# A CORS preflight is answered by the resolver itself and records no metric; without this filter
# every preflight would log a "No application metrics to publish" warning.
warnings.filterwarnings("ignore", "No application metrics to publish")


def cors_config(raw: str | None) -> CORSConfig:
    origins = [origin.strip() for origin in (raw or "*").split(",") if origin.strip()] or ["*"]
    if "*" in origins:
        return CORSConfig(allow_origin="*", max_age=600)
    return CORSConfig(allow_origin=origins[0], extra_origins=origins[1:], max_age=600)


def strip_prefixes(raw: str | None) -> list[str]:
    prefix = "/" + (raw or "").strip().strip("/")
    return [prefix] if prefix != "/" else []


BASE_PATH = strip_prefixes(os.getenv("ADMIN_BASE_PATH"))
app = APIGatewayRestResolver(cors=cors_config(os.getenv("CORS_ALLOW_ORIGINS")), strip_prefixes=BASE_PATH)

_service: ConsumerService | None = None
_audit: AuditRecord | None = None  # the record of the request being handled

# Path (below the base path) -> the methods it supports, for 405 answers.
ALLOWED_METHODS = (
    (re.compile(r"^/consumers/?$"), "POST"),
    (re.compile(r"^/consumers/[^/]+/?$"), "GET, DELETE"),
    (re.compile(r"^/consumers/[^/]+/rotate/?$"), "POST"),
)


def get_service() -> ConsumerService:
    global _service
    if _service is None:
        try:
            settings = Settings.from_env()
        except KeyError as exc:
            logger.error("missing environment variable", extra={"variable": str(exc)})
            raise Unavailable("onboarding is misconfigured") from None
        _service = ConsumerService(settings)
    return _service


def set_service(service: ConsumerService | None) -> None:
    """Inject a service (tests); None rebuilds it from the environment on next use."""
    global _service
    _service = service


def json_response(status: HTTPStatus, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers)


def audited(action: str, consumer_id: str | None = None) -> None:
    if _audit is not None:
        _audit.action, _audit.consumer_id = action, consumer_id


def request_body() -> str | None:
    return decode_body(app.current_event.body, app.current_event.is_base64_encoded)


@app.post("/consumers")
@tracer.capture_method(capture_response=False)
def create_consumer() -> Response:
    audited("create")
    request = parse_create(request_body())
    audited("create", consumer_id_for(request.client_token))
    result = get_service().create(request)
    consumer_id = result.consumer["id"]
    if result.replayed:
        metrics.add_metric(name="ConsumerCreateReplayed", unit=MetricUnit.Count, value=1)
        return json_response(
            HTTPStatus.OK,
            {
                "consumer": result.consumer,
                "api_key": None,
                "idempotent_replay": True,
                "message": "already created with this client_token; the key is only shown once "
                "(rotate the consumer to get a new one)",
            },
        )
    metrics.add_metric(name="ConsumerCreated", unit=MetricUnit.Count, value=1)
    location = f"{BASE_PATH[0] if BASE_PATH else ''}/consumers/{consumer_id}"
    return json_response(
        HTTPStatus.CREATED,
        {"consumer": result.consumer, "api_key": result.api_key, "idempotent_replay": False},
        headers={"Location": location},
    )


@app.get("/consumers/<consumer_id>")
@tracer.capture_method(capture_response=False)
def get_consumer(consumer_id: str) -> Response:
    audited("show", consumer_id)
    consumer = get_service().show(check_consumer_id(consumer_id))
    metrics.add_metric(name="ConsumerShown", unit=MetricUnit.Count, value=1)
    return json_response(HTTPStatus.OK, {"consumer": consumer})


@app.post("/consumers/<consumer_id>/rotate")
@tracer.capture_method(capture_response=False)
def rotate_consumer(consumer_id: str) -> Response:
    audited("rotate", consumer_id)
    check_consumer_id(consumer_id)
    request = parse_rotate(request_body())
    consumer, api_key = get_service().rotate(consumer_id, request)
    metrics.add_metric(name="ConsumerKeyRotated", unit=MetricUnit.Count, value=1)
    return json_response(HTTPStatus.OK, {"consumer": consumer, "api_key": api_key})


@app.delete("/consumers/<consumer_id>")
@tracer.capture_method(capture_response=False)
def revoke_consumer(consumer_id: str) -> Response:
    audited("revoke", consumer_id)
    consumer = get_service().revoke(check_consumer_id(consumer_id))
    metrics.add_metric(name="ConsumerRevoked", unit=MetricUnit.Count, value=1)
    return json_response(HTTPStatus.OK, {"consumer": consumer})


@app.exception_handler(ServiceError)
def service_error(exc: ServiceError) -> Response:
    if exc.status >= 500:
        metrics.add_metric(name="AdminErrors", unit=MetricUnit.Count, value=1)
        logger.error("admin request failed", extra={"status": exc.status, "error": exc.message})
    else:
        metrics.add_metric(name="AdminRejected", unit=MetricUnit.Count, value=1)
        logger.info("admin request rejected", extra={"status": exc.status, "error": exc.message})
    headers = exc.headers() if isinstance(exc, OutcomeUnknown) else None
    return json_response(HTTPStatus(exc.status), exc.body(), headers)


@app.exception_handler(Exception)
def unexpected_error(exc: Exception) -> Response:
    metrics.add_metric(name="AdminErrors", unit=MetricUnit.Count, value=1)
    logger.exception("unexpected error")
    body = {"error": "internal_error", "message": "internal error"}
    return json_response(HTTPStatus.INTERNAL_SERVER_ERROR, body)


@app.not_found
def not_found(exc: Exception) -> Response:
    metrics.add_metric(name="AdminRejected", unit=MetricUnit.Count, value=1)
    path = app.current_event.path
    for prefix in BASE_PATH:
        path = path.removeprefix(prefix)
    allowed = next((methods for pattern, methods in ALLOWED_METHODS if pattern.match(path)), None)
    if allowed is not None:
        method = app.current_event.http_method
        body = {"error": "method_not_allowed", "message": f"method: {method} is not allowed here (allowed: {allowed})"}
        return json_response(HTTPStatus.METHOD_NOT_ALLOWED, body, {"Allow": allowed})
    return json_response(HTTPStatus.NOT_FOUND, {"error": "not_found", "message": "no such route"})


def forbidden() -> dict[str, Any]:
    """A REST proxy response for an event without an IAM caller (built here: no route runs)."""
    body = {
        "error": "forbidden",
        "message": "requestContext.identity.userArn: no IAM caller; the admin API needs SigV4 (IAM) authentication",
    }
    return {
        "statusCode": HTTPStatus.FORBIDDEN.value,
        "multiValueHeaders": {"Content-Type": [content_types.APPLICATION_JSON]},
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def _error_of(response: dict[str, Any]) -> str | None:
    try:
        body = json.loads(response.get("body") or "{}")
    except (TypeError, ValueError):
        return None
    return body.get("error") if isinstance(body, dict) else None


def _now() -> float:
    try:
        return get_service().clock()
    except ServiceError:
        return time.time()


def audit_trail() -> AuditTrail:
    try:
        return AuditTrail(get_service().store)
    except ServiceError:  # misconfigured: the log line is the only record
        return AuditTrail(None)


# capture_response=False and no event logging: a create or rotate response carries a plain key.
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    global _audit
    method = event.get("httpMethod") if isinstance(event, dict) else None
    context_id = (event.get("requestContext") or {}).get("requestId") if isinstance(event, dict) else None
    record = AuditRecord("unrouted", caller_arn(event), str(context_id or context.aws_request_id), _now())
    if method == "OPTIONS":  # a CORS preflight carries no credentials and reaches no action
        return app.resolve(event, context)
    _audit = record
    try:
        if record.caller is None:
            record.action = "refused"
            metrics.add_metric(name="AdminRejected", unit=MetricUnit.Count, value=1)
            response = forbidden()
        else:
            with contextlib.suppress(ServiceError):  # a broken configuration is answered by the route (503)
                get_service().idempotency.register_lambda_context(context)
            response = app.resolve(event, context)
    finally:
        _audit = None
    record.status, record.error = int(response["statusCode"]), _error_of(response)
    audit_trail().record(record)
    return response
