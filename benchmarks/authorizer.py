"""Warm-invocation latency of the API key validator, against a do-nothing handler.

    python benchmarks/authorizer.py [iterations]

Cases: a bare handler (the floor: one Python call); the validator answering from its in-memory
cache, with and without the Powertools handler decorators; and the validator with the cache off,
so that every call does a GetItem (served in-process by moto: this measures the handler's own
work around the lookup, not DynamoDB's latency).
Logs and metrics go to /dev/null: their serialisation is included, the terminal is not.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

VALIDATOR_DIR = Path(__file__).resolve().parent.parent / "functions" / "api_key_validator"
TABLE = "benchmark-consumers"
KEY = "Zq7RkD2mVw9XcT4bLp8NsY3fHj6GaE1uKo5iMr0Q"
ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_REGION": "eu-west-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "api-key-validator",
    "POWERTOOLS_METRICS_NAMESPACE": "Benchmark",
    "CONSUMERS_TABLE_NAME": TABLE,
}
EVENT: dict[str, Any] = {
    "type": "REQUEST",
    "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/GET/quoting/quotes",
    "resource": "/quoting/{proxy+}",
    "path": "/quoting/quotes",
    "httpMethod": "GET",
    "headers": {"Accept": "application/json", "x-api-key": KEY},
    "requestContext": {"requestId": "4b3c2d1e-0f9a-4b8c-9d7e-6f5a4b3c2d1e", "stage": "dev"},
}


@dataclass
class Context:
    function_name: str = "api-key-validator"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:api-key-validator"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"

    def get_remaining_time_in_millis(self) -> int:
        return 3_000


def load_validator() -> ModuleType:
    """Import the function the way Lambda does: its folder is the code root."""
    spec = importlib.util.spec_from_file_location("benchmark_api_key_validator", VALIDATOR_DIR / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(VALIDATOR_DIR))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(VALIDATOR_DIR))
    return module


def measure(name: str, handler: Callable[[dict, Any], Any], iterations: int) -> dict[str, Any]:
    context = Context()
    handler(EVENT, context)  # warm: cold start, imports, first lookup
    samples: list[int] = []
    for _ in range(iterations):
        started = time.perf_counter_ns()
        handler(EVENT, context)
        samples.append(time.perf_counter_ns() - started)
    samples.sort()
    return {
        "case": name,
        "n": iterations,
        "median_us": round(statistics.median(samples) / 1000, 1),
        "p95_us": round(samples[max(0, int(len(samples) * 0.95) - 1)] / 1000, 1),
    }


def run(iterations: int = 2000) -> list[dict[str, Any]]:
    os.environ.update(ENVIRONMENT)
    import boto3  # after the environment: credentials and region for the mocked clients
    from moto import mock_aws

    # One sink for the whole run: the Powertools Logger binds its stream when the module is loaded.
    with mock_aws(), open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        dynamodb = boto3.client("dynamodb")
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        key_hash = hashlib.sha256(KEY.encode()).hexdigest()
        dynamodb.put_item(
            TableName=TABLE,
            Item={
                "pk": {"S": f"key#{key_hash}"},
                "key_hash": {"S": key_hash},
                "consumer_id": {"S": "c-benchmark"},
                "plan": {"S": "basic"},
                "status": {"S": "active"},
            },
        )
        app = load_validator()
        store = app.DynamoKeyStore(TABLE, client=dynamodb)

        def bare(event: dict, context: Any) -> dict:
            return {}

        results = [measure("bare handler (floor)", bare, iterations)]
        cached = app.KeyValidator(store, app.TtlCache(ttl_seconds=60))
        app.set_validator(cached)
        results.append(measure("validator, cache hit", app.lambda_handler, iterations))
        # The same decision without Logger/Tracer/Metrics decorators: how much is Powertools' share.
        results.append(measure("authorize() only, cache hit", lambda e, c: app.authorize(e, cached), iterations))
        app.set_validator(app.KeyValidator(store, app.TtlCache(ttl_seconds=0)))
        results.append(measure("validator, cache miss (GetItem via moto)", app.lambda_handler, iterations))
    return results


def render(results: list[dict[str, Any]]) -> str:
    """A Markdown table (it reads as plain text in a terminal too)."""
    lines = ["| case | median (µs) | p95 (µs) | N |", "|---|---:|---:|---:|"]
    lines += [f"| {r['case']} | {r['median_us']:.1f} | {r['p95_us']:.1f} | {r['n']} |" for r in results]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(run(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)))
