"""Fixtures for the Lambda library's functional tests: the AWS side of an environment in moto, the
onboarding admin API, the authorizer, injected AWS failures. Loading a function and the fake clock
come from tests/conftest.py."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from moto import mock_aws

# -- AWS, mocked ---------------------------------------------------------------------------------

EVENTS_DIR = Path(__file__).resolve().parents[2] / "events"
CONSUMERS_TABLE = "platform-dev-consumers"
IDEMPOTENCY_TABLE = "platform-dev-idempotency"
USAGE_PLANS_PARAMETER = "/platform/dev/usage-plans"
AUTHORIZER_STAGES_PARAMETER = "/platform/dev/authorizer-stages"
AUTHORIZER_STAGES = [{"rest_api_id": "a1b2c3d4e5", "stage": "dev"}, {"rest_api_id": "f6g7h8i9j0", "stage": "dev"}]


def read_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS_DIR / name).read_text())


@pytest.fixture()
def load_event() -> Callable[[str], dict[str, Any]]:
    """A fresh copy of a sample event from tests/events/."""
    return read_event


@dataclass
class Platform:
    """The AWS side of one environment, in moto: tables, usage plans, the plans parameter."""

    dynamodb: Any
    apigateway: Any
    ssm: Any
    usage_plans: dict[str, str]
    consumers_table: str = CONSUMERS_TABLE
    idempotency_table: str = IDEMPOTENCY_TABLE
    usage_plans_parameter: str = USAGE_PLANS_PARAMETER

    def items(self) -> list[dict[str, Any]]:
        """Every consumer and key item of the consumers table (tests may Scan; onboarding may not)."""
        return [item for item in self._scan() if item["type"] != "audit"]

    def audit_items(self) -> list[dict[str, Any]]:
        return sorted((item for item in self._scan() if item["type"] == "audit"), key=lambda item: item["pk"])

    def _scan(self) -> list[dict[str, Any]]:
        return boto3.resource("dynamodb").Table(CONSUMERS_TABLE).scan()["Items"]

    def api_keys(self) -> list[dict[str, Any]]:
        return self.apigateway.get_api_keys(includeValues=True)["items"]

    def plan_key_ids(self, plan: str) -> list[str]:
        keys = self.apigateway.get_usage_plan_keys(usagePlanId=self.usage_plans[plan])["items"]
        return [key["id"] for key in keys]


@pytest.fixture()
def platform(monkeypatch: pytest.MonkeyPatch) -> Iterator[Platform]:
    monkeypatch.setenv("CONSUMERS_TABLE_NAME", CONSUMERS_TABLE)
    monkeypatch.setenv("IDEMPOTENCY_TABLE_NAME", IDEMPOTENCY_TABLE)
    monkeypatch.setenv("USAGE_PLANS_PARAMETER", USAGE_PLANS_PARAMETER)
    monkeypatch.setenv("AUTHORIZER_STAGES_PARAMETER", AUTHORIZER_STAGES_PARAMETER)
    monkeypatch.setenv("ADMIN_BASE_PATH", "/admin")
    monkeypatch.setenv("KEY_CACHE_TTL_SECONDS", "60")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "platform-tests")
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        for table, key in ((CONSUMERS_TABLE, "pk"), (IDEMPOTENCY_TABLE, "id")):
            dynamodb.create_table(
                TableName=table,
                KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        apigateway = boto3.client("apigateway")
        plans = {}
        for plan in ("basic", "premium"):
            plans[plan] = apigateway.create_usage_plan(name=f"dev-{plan}")["id"]
        ssm = boto3.client("ssm")
        ssm.put_parameter(Name=USAGE_PLANS_PARAMETER, Type="String", Value=json.dumps(plans))
        ssm.put_parameter(Name=AUTHORIZER_STAGES_PARAMETER, Type="String", Value=json.dumps(AUTHORIZER_STAGES))
        yield Platform(dynamodb=dynamodb, apigateway=apigateway, ssm=ssm, usage_plans=plans)


# -- the onboarding admin API ---------------------------------------------------------------------

ADMIN_BODY = {
    "name": "Acme Retail",
    "plan": "basic",
    "description": "Retail storefront integration",
    "contact": "api-team@acme.example",
    "client_token": "acme-retail-0001",
}


def admin_event(method: str, path: str, body: Any = None) -> dict[str, Any]:
    event = read_event("onboarding_create_consumer.json")
    event["httpMethod"] = method
    event["path"] = f"/admin{path}"
    event["pathParameters"] = {"proxy": path.lstrip("/")}
    event["requestContext"]["httpMethod"] = method
    event["requestContext"]["path"] = f"/dev/admin{path}"
    event["body"] = body if body is None or isinstance(body, str) else json.dumps(body)
    return event


class Admin:
    def __init__(self, app: Any, context: Any) -> None:
        self.app = app
        self.context = context
        self.flushed: list[str] = []  # "api/stage" of every FlushStageAuthorizersCache call

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any], dict[str, str]]:
        response = self.app.lambda_handler(admin_event(method, path, body), self.context)
        # REST proxy responses from Powertools carry headers as multiValueHeaders.
        headers = {name: values[-1] for name, values in (response.get("multiValueHeaders") or {}).items()}
        return response["statusCode"], json.loads(response["body"]), headers

    def create(self, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        status, payload, _ = self.call("POST", "/consumers", ADMIN_BODY if body is None else body)
        return status, payload

    body = ADMIN_BODY

    @property
    def service(self) -> Any:
        return self.app.get_service()


@pytest.fixture()
def admin(platform, load_function, lambda_context, clock) -> Admin:
    app = load_function("onboarding")
    app.set_service(app.ConsumerService(app.Settings.from_env(), clock=clock))
    admin = Admin(app, lambda_context)
    answer_flushes(admin.service.clients.get("apigateway"), admin.flushed)
    return admin


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


@pytest.fixture()
def authorize(platform, load_function, lambda_context):
    """A fresh validator per call (empty cache), so each answer reflects the table now."""

    def check(key: str) -> str:
        validator = load_function("api_key_validator")
        event = read_event("api_key_validator_request.json")
        event["headers"]["x-api-key"] = key
        response = validator.lambda_handler(event, lambda_context)
        return response["policyDocument"]["Statement"][0]["Effect"]

    return check


def sha256(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def expected_consumer_view(consumer_id: str, api_key_id: str, key: str, **changes: Any) -> dict[str, Any]:
    consumer = {
        "id": consumer_id,
        "name": "Acme Retail",
        "plan": "basic",
        "status": "active",
        "description": "Retail storefront integration",
        "contact": "api-team@acme.example",
        "expires_at": None,
        "created_at": "2026-11-24T12:00:00Z",
        "rotated_at": None,
        "revoked_at": None,
        "api_key_id": api_key_id,
        "key_fingerprint": sha256(key)[:12],
    }
    consumer.update(changes)
    return consumer


@pytest.fixture()
def expected_consumer() -> Callable[..., dict[str, Any]]:
    """The admin API's view of the consumer ADMIN_BODY creates at the `clock` fixture's time."""
    return expected_consumer_view


def fail_next_call(
    service: str, operation: str, consumer_service: Any, code: str = "InternalServerError", times: int = 1
) -> None:
    """Make the next `times` calls of `operation` on the function's own client fail (a botocore event hook)."""
    client = consumer_service.clients.get(service)
    remaining = {"failures": times}

    def fail(**kwargs: Any) -> None:
        if remaining["failures"] > 0:
            remaining["failures"] -= 1
            raise ClientError({"Error": {"Code": code, "Message": "injected"}}, operation)

    client.meta.events.register(f"before-call.{client.meta.service_model.service_name}.{operation}", fail)


@pytest.fixture()
def fail_next() -> Callable[..., None]:
    return fail_next_call


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


@pytest.fixture()
def faults(admin) -> Faults:
    return Faults(admin.service)


def orphans_and_phantoms(platform: Platform) -> tuple[list[str], list[str]]:
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
