"""Helpers of the Lambda library's functional tests that tests import by name (conftest.py's fixtures
use them too): the authorizer stages onboarding flushes, a stand-in for FlushStageAuthorizersCache
(moto has none), failure injection on a function's own clients, and the orphan/phantom check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ReadTimeoutError

AUTHORIZER_STAGES_PARAMETER = "/platform/dev/authorizer-stages"
AUTHORIZER_STAGES = [{"rest_api_id": "a1b2c3d4e5", "stage": "dev"}, {"rest_api_id": "f6g7h8i9j0", "stage": "dev"}]


class _Answer:
    """The HTTP side of a response made up by a before-call hook (botocore only reads the status)."""

    def __init__(self, status_code: int) -> None:
        self.status_code = status_code
        self.headers: dict[str, str] = {}
        self.content = b""


def answer_flushes(client: Any, flushed: list[str], fail: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    """moto has no FlushStageAuthorizersCache: answer it as API Gateway does (202, empty body), record
    each call, and fail (500) for the stages in `fail`."""
    calls: list[dict[str, Any]] = []

    def remember(params: dict[str, Any], **kwargs: Any) -> None:
        calls.append(dict(params))

    def answer(**kwargs: Any) -> tuple[_Answer, dict[str, Any]]:
        params = calls.pop()
        stage = f"{params['restApiId']}/{params['stageName']}"
        flushed.append(stage)
        if stage in fail:
            error = {"Error": {"Code": "InternalServerError", "Message": "injected"}}
            return _Answer(500), {**error, "ResponseMetadata": {"HTTPStatusCode": 500}}
        return _Answer(202), {"ResponseMetadata": {"HTTPStatusCode": 202}}

    client.meta.events.register("provide-client-params.api-gateway.FlushStageAuthorizersCache", remember)
    client.meta.events.register("before-call.api-gateway.FlushStageAuthorizersCache", answer)


# -- ambiguous failures: the call took effect, the caller saw an error ------------------------------


def _hook_name(client: Any, operation: str, when: str) -> str:
    return f"{when}.{client.meta.service_model.service_name}.{operation}"


def read_timeout() -> Exception:
    return ReadTimeoutError(endpoint_url="https://example.invalid/")


def lose_response(
    consumer_service: Any,
    service: str,
    operation: str,
    times: int = 1,
    read_back: tuple[str, str] | None = None,
    error: Callable[[], Exception] | None = None,
) -> None:
    """The next `times` calls of `operation` reach moto and take effect, then the caller gets a read
    timeout (the answer was lost after botocore's own retries). With `read_back` (service, operation),
    the next call of that operation, the read-back, times out too."""
    client = consumer_service.clients.get(service)
    remaining = {"losses": times}

    def lose(**kwargs: Any) -> None:
        if remaining["losses"] > 0:
            remaining["losses"] -= 1
            if read_back is not None:
                time_out(consumer_service, *read_back, times=1)
            raise (error or read_timeout)()

    client.meta.events.register(_hook_name(client, operation, "after-call"), lose)


def conflicting_retry(consumer_service: Any, service: str, operation: str) -> None:
    """The next call of `operation` takes effect, its answer is lost, and botocore's retry of the same
    request then meets the first attempt's effect: the caller sees the retry's error (a conflict)."""
    client = consumer_service.clients.get(service)
    state = {"armed": True}
    method = client.meta.method_to_api_mapping
    python_name = next(name for name, api in method.items() if api == operation)

    def retry(params: dict[str, Any], **kwargs: Any) -> None:
        if not state["armed"]:
            return
        state["armed"] = False
        getattr(client, python_name)(**params)  # the retry: raises the conflict
        raise AssertionError(f"the retried {operation} did not conflict")

    client.meta.events.register(_hook_name(client, operation, "after-call"), _with_params(client, operation, retry))


def _with_params(client: Any, operation: str, handler: Callable[..., None]) -> Callable[..., None]:
    """after-call handlers do not see the request's parameters: remember them at provide-client-params."""
    seen: dict[str, Any] = {}

    def remember(params: dict[str, Any], **kwargs: Any) -> None:
        seen["params"] = dict(params)

    client.meta.events.register(_hook_name(client, operation, "provide-client-params"), remember)
    return lambda **kwargs: handler(seen["params"], **kwargs)


def time_out(consumer_service: Any, service: str, operation: str, times: int = 1) -> None:
    """The next `times` calls of `operation` time out before reaching AWS (a read-back that fails)."""
    client = consumer_service.clients.get(service)
    remaining = {"timeouts": times}

    def fail(**kwargs: Any) -> None:
        if remaining["timeouts"] > 0:
            remaining["timeouts"] -= 1
            raise read_timeout()

    client.meta.events.register(_hook_name(client, operation, "before-call"), fail)


@dataclass
class Faults:
    """Failure injection on the onboarding function's own clients (botocore event hooks)."""

    service: Any

    def lose_response(
        self,
        service: str,
        operation: str,
        read_back: tuple[str, str] | None = None,
        error: Callable[[], Exception] | None = None,
    ) -> None:
        lose_response(self.service, service, operation, read_back=read_back, error=error)

    def conflicting_retry(self, service: str, operation: str) -> None:
        conflicting_retry(self.service, service, operation)


def orphans_and_phantoms(platform: Any) -> tuple[list[str], list[str]]:
    """(API keys no consumer refers to, active consumers without a working key: their API key gone,
    disabled or unlinked, or their key item missing)."""
    items = platform.items()
    consumers = [item for item in items if item["type"] == "consumer"]
    key_items = {item["key_hash"] for item in items if item["type"] == "key"}
    keys = {key["id"]: key for key in platform.api_keys()}
    referenced = {consumer["api_key_id"] for consumer in consumers}
    orphans = sorted(key_id for key_id in keys if key_id not in referenced)
    phantoms = []
    for consumer in consumers:
        if consumer["status"] != "active":
            continue
        key = keys.get(consumer["api_key_id"])
        linked = consumer["api_key_id"] in platform.plan_key_ids(consumer["plan"])
        if key is None or not key["enabled"] or not linked or consumer["key_hash"] not in key_items:
            phantoms.append(consumer["consumer_id"])
    return orphans, phantoms
