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
from admin_support import AUTHORIZER_STAGES, AUTHORIZER_STAGES_PARAMETER, Faults, answer_flushes
from botocore.exceptions import ClientError
from moto import mock_aws

# -- AWS, mocked ---------------------------------------------------------------------------------

EVENTS_DIR = Path(__file__).resolve().parents[2] / "events"
CONSUMERS_TABLE = "platform-dev-consumers"
IDEMPOTENCY_TABLE = "platform-dev-idempotency"
USAGE_PLANS_PARAMETER = "/platform/dev/usage-plans"


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

    def event(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        return admin_event(method, path, body)

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


@pytest.fixture()
def faults(admin) -> Faults:
    return Faults(admin.service)
