"""Admin API for API consumers, mounted under ADMIN_BASE_PATH (IAM-authorised at API Gateway).

POST   /consumers               create (idempotent on client_token); the key is returned once
GET    /consumers/{id}          show
POST   /consumers/{id}/rotate   new key, old key revoked
DELETE /consumers/{id}          revoke: validator denies, usage-plan link removed, API key disabled
"""

from __future__ import annotations

import contextlib
import os
import warnings
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from consumer_models import ServiceError, Unavailable, check_consumer_id, parse_create, parse_rotate
from consumer_service import ConsumerService, Settings

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


@app.post("/consumers")
@tracer.capture_method(capture_response=False)
def create_consumer() -> Response:
    request = parse_create(app.current_event.decoded_body)
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
    consumer = get_service().show(check_consumer_id(consumer_id))
    metrics.add_metric(name="ConsumerShown", unit=MetricUnit.Count, value=1)
    return json_response(HTTPStatus.OK, {"consumer": consumer})


@app.post("/consumers/<consumer_id>/rotate")
@tracer.capture_method(capture_response=False)
def rotate_consumer(consumer_id: str) -> Response:
    check_consumer_id(consumer_id)
    parse_rotate(app.current_event.decoded_body)
    consumer, api_key = get_service().rotate(consumer_id)
    metrics.add_metric(name="ConsumerKeyRotated", unit=MetricUnit.Count, value=1)
    return json_response(HTTPStatus.OK, {"consumer": consumer, "api_key": api_key})


@app.delete("/consumers/<consumer_id>")
@tracer.capture_method(capture_response=False)
def revoke_consumer(consumer_id: str) -> Response:
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
    return json_response(HTTPStatus(exc.status), exc.body())


@app.exception_handler(Exception)
def unexpected_error(exc: Exception) -> Response:
    metrics.add_metric(name="AdminErrors", unit=MetricUnit.Count, value=1)
    logger.exception("unexpected error")
    body = {"error": "internal_error", "message": "internal error"}
    return json_response(HTTPStatus.INTERNAL_SERVER_ERROR, body)


@app.not_found
def not_found(exc: Exception) -> Response:
    metrics.add_metric(name="AdminRejected", unit=MetricUnit.Count, value=1)
    return json_response(HTTPStatus.NOT_FOUND, {"error": "not_found", "message": "no such route"})


# capture_response=False and no event logging: a create or rotate response carries a plain key.
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    with contextlib.suppress(ServiceError):  # a broken configuration is answered by the route (503)
        get_service().idempotency.register_lambda_context(context)
    return app.resolve(event, context)
