"""Flush API Gateway's authorizer caches after a key is revoked or rotated.

API Gateway caches the validator's Allow per `x-api-key` value for the authorizer's TTL (300 s by
default); FlushStageAuthorizersCache (DELETE /restapis/{id}/stages/{stage}/cache/authorizers) drops
every cached answer of a stage, so the next request with the old key reaches the validator again.
The stages come from an SSM parameter the API stage writes: `[{"rest_api_id": ..., "stage": ...}]`
(the APIs are created after the compute stage, so their ids cannot be an environment variable).

A failed flush never fails the request: the key is already denied by the table and refused by API
Gateway's own key check; the flush only shortens the window. It is logged and counted.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from outcomes import error_code

STAGES_CACHE_SECONDS = 300

logger = Logger(child=True)


class AuthorizerCaches:
    def __init__(self, client: Any, ssm: Any, parameter: str | None) -> None:
        self.client = client
        self.ssm = ssm  # a Powertools SSMProvider (cached reads)
        self.parameter = parameter

    def stages(self) -> list[tuple[str, str]]:
        if not self.parameter:
            return []
        value = self.ssm.get(self.parameter, transform="json", max_age=STAGES_CACHE_SECONDS)
        if not isinstance(value, list) or not all(
            isinstance(entry, dict)
            and isinstance(entry.get("rest_api_id"), str)
            and isinstance(entry.get("stage"), str)
            for entry in value
        ):
            raise ValueError(f"{self.parameter} is not a list of {{rest_api_id, stage}} objects")
        return [(entry["rest_api_id"], entry["stage"]) for entry in value]

    def flush(self, consumer_id: str) -> list[str]:
        """Flush every stage; the stages (`api/stage`) that could not be flushed."""
        try:
            stages = self.stages()
        except Exception as exc:
            logger.error(
                "authorizer stages unreadable; caches not flushed",
                extra={"consumer_id": consumer_id, "error": error_code(exc)},
            )
            return ["*"]
        failed: list[str] = []
        for rest_api_id, stage in stages:
            try:
                self.client.flush_stage_authorizers_cache(restApiId=rest_api_id, stageName=stage)
            except Exception as exc:
                failed.append(f"{rest_api_id}/{stage}")
                logger.error(
                    "flushing the authorizer cache failed",
                    extra={"consumer_id": consumer_id, "stage": f"{rest_api_id}/{stage}", "error": error_code(exc)},
                )
        if stages and not failed:
            logger.info("authorizer caches flushed", extra={"consumer_id": consumer_id, "stages": len(stages)})
        return failed
