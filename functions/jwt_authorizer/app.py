"""REST API Lambda REQUEST authorizer for the JWTs of any OIDC issuer (`auth: jwt`).

Allow: the token is a RS256 or ES256 JWT signed by a key of the issuer's JWKS, for one of the configured
audiences, within its validity (with a bounded clock skew). The policy covers every method of the calling
stage (so API Gateway's authorizer cache is valid for all routes) and the claims are passed to the
backend as the authorizer context. Anything else, including malformed events and an unreachable JWKS,
is a Deny. The handler never raises and never logs the token, the event or the response.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import APIGatewayAuthorizerResponse
from aws_lambda_powertools.utilities.typing import LambdaContext
from request_arn import MethodArn, parse_method_arn
from token_check import JwksCache, Rejected, Settings, bearer_token, context_of, verify

ANONYMOUS = "anonymous"

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace=os.getenv("POWERTOOLS_METRICS_NAMESPACE") or "Platform")

_checker: tuple[Settings, JwksCache] | None = None


def get_checker() -> tuple[Settings, JwksCache]:
    """The container-wide settings and key cache, built from the environment on first use."""
    global _checker
    if _checker is None:
        settings = Settings.from_env(os.environ)
        _checker = (settings, JwksCache(settings.jwks_url, settings.jwks_ttl_seconds))
    return _checker


def set_checker(checker: tuple[Settings, JwksCache] | None) -> None:
    """Inject settings and a key cache (tests); None rebuilds them from the environment on next use."""
    global _checker
    _checker = checker


def deny_response(arn: MethodArn | None) -> dict[str, Any]:
    if arn is None:
        response = APIGatewayAuthorizerResponse(ANONYMOUS, "*", "*", "*", "*")
    else:
        response = APIGatewayAuthorizerResponse(
            ANONYMOUS, arn.region, arn.account, arn.api_id, arn.stage, partition=arn.partition
        )
    response.deny_all_routes()
    return response.asdict()


def allow_response(arn: MethodArn, claims: dict[str, Any]) -> dict[str, Any]:
    response = APIGatewayAuthorizerResponse(
        principal_id=str(claims["sub"]),
        region=arn.region,
        aws_account_id=arn.account,
        api_id=arn.api_id,
        stage=arn.stage,
        context=context_of(claims),
        partition=arn.partition,
    )
    response.allow_all_routes()
    return response.asdict()


def decide(event: Any) -> dict[str, Any]:
    """The authorizer's answer to `event`; a Deny for anything not proven valid."""
    arn = parse_method_arn(event.get("methodArn") if isinstance(event, dict) else None)
    if arn is None:
        logger.warning("denied", extra={"reason": "malformed methodArn"})
        return deny_response(None)
    try:
        settings, keys = get_checker()
        claims = verify(bearer_token(event.get("headers")), settings, keys)
    except Rejected as rejected:
        logger.info("denied", extra={"reason": rejected.reason})
        metrics.add_metric(name="TokenDenied", unit=MetricUnit.Count, value=1)
        return deny_response(arn)
    except Exception:  # a bug or a bad configuration must still deny, never allow or raise
        logger.exception("denied: unexpected error")
        return deny_response(arn)
    logger.info("allowed", extra={"sub": claims["sub"]})
    metrics.add_metric(name="TokenAllowed", unit=MetricUnit.Count, value=1)
    return allow_response(arn, claims)


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return decide(event)
