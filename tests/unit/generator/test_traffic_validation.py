"""Service-to-service traffic and workload shapes a registry can get wrong: the exact problem lines and
exit 1 (calls, workers, gRPC, sidecars, security-group quotas, and the ALB-less service that used to
crash every command)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from support import PRICING, QUOTING, REGISTRY, make_project, run_cli, with_summary

from template_gen.pipeline import load_registry, resolve
from template_gen.registry import traffic_rules
from template_gen.registry.context import EnvironmentContext
from template_gen.registry.entries import ServiceEntry
from template_gen.registry.models import Environment, WorkerService
from template_gen.registry.rules import Finding

Services = dict[str, Any]
RULES: dict[str, Any] = {"kind": "ecs", "port": 9090, "protocol": "grpc"}
WORKER: dict[str, Any] = {"kind": "worker", "queue": {}}
LAMBDA_CODE = {"functions/fn": "def lambda_handler(event, context):\n    return {}\n"}


def q(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(QUOTING), **changes}


def p(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(PRICING), **changes}


def enabled(*services: str) -> dict[str, Any]:
    data = copy.deepcopy(REGISTRY)
    data["environments"]["dev"]["services"] = ["quoting", "product-pricing", *services]
    return data


CASES: list[tuple[str, dict[str, Any] | None, Services, list[str]]] = [
    (
        "unknown_callee",
        None,
        {"quoting": q(calls=["pricing"]), "product-pricing": PRICING},
        [
            "services/quoting/service.yaml: calls[0]: 'pricing' is not a service (no services/pricing/service.yaml)",
            "    hint: did you mean 'product-pricing'?",
        ],
    ),
    (
        "disabled_callee",
        None,
        {"quoting": q(calls=["pricing-rules"]), "product-pricing": PRICING, "pricing-rules": RULES},
        [
            "services/quoting/service.yaml: calls[0]: 'pricing-rules' is not enabled in environment 'dev'",
            "    hint: enable it under environments.dev.services in services/registry.yaml, or drop the call in this "
            "environment (environments.dev.calls)",
        ],
    ),
    (
        "self_call",
        None,
        {"quoting": q(calls=["quoting"]), "product-pricing": PRICING},
        [
            "services/quoting/service.yaml: calls[0]: a service cannot call itself",
            "    hint: calls inside a service need no rule",
        ],
    ),
    (
        "callee_listed_twice",
        enabled("pricing-rules"),
        {"quoting": q(calls=["pricing-rules", "pricing-rules"]), "product-pricing": PRICING, "pricing-rules": RULES},
        ["services/quoting/service.yaml: calls[1]: 'pricing-rules' is listed twice"],
    ),
    (
        "callee_set_per_environment_is_blamed_on_the_override",
        None,
        {
            "quoting": q(calls=["product-pricing"], environments={"dev": {"calls": ["missing-one"]}}),
            "product-pricing": PRICING,
        },
        [
            "services/quoting/service.yaml: environments.dev.calls[0]: 'missing-one' is not a service "
            "(no services/missing-one/service.yaml)"
        ],
    ),
    (
        "calling_a_worker",
        enabled("notifier"),
        {"quoting": q(calls=["notifier"]), "product-pricing": PRICING, "notifier": WORKER},
        [
            "services/quoting/service.yaml: calls[0]: 'notifier' is a worker: it has no port to call",
            "    hint: send it work through its queue",
        ],
    ),
    (
        "lambda_caller_outside_the_vpc",
        enabled("fn"),
        {
            "quoting": QUOTING,
            "product-pricing": PRICING,
            "fn": {"kind": "lambda", "api": {"base_path": "/fn"}, "calls": ["quoting"]},
        },
        [
            "services/fn/service.yaml: calls: a Lambda service calls other services only from inside the VPC; set vpc: true"
        ],
    ),
    (
        "worker_with_a_port",
        enabled("notifier"),
        {"quoting": QUOTING, "product-pricing": PRICING, "notifier": {**WORKER, "port": 8080}},
        [
            "services/notifier/service.yaml: port: a worker has no port: nothing connects to it (reach it through a "
            "queue, or make it kind: ecs)"
        ],
    ),
    (
        "worker_on_the_api",
        enabled("notifier"),
        {"quoting": QUOTING, "product-pricing": PRICING, "notifier": {**WORKER, "api": {"base_path": "/notifier"}}},
        [
            "services/notifier/service.yaml: api: a worker is not on an API: it serves no requests (reach it through "
            "a queue, or make it kind: ecs)"
        ],
    ),
    (
        "grpc_on_the_api",
        None,
        {"quoting": QUOTING, "product-pricing": p(protocol="grpc", alb=None)},
        [
            "services/product-pricing/service.yaml: api.exposure: a gRPC service cannot be on an API: an API Gateway "
            "REST API proxies HTTP/1.1 requests and cannot carry gRPC",
            "    hint: keep it internal (api.exposure: none) and call it through Service Connect, or put an HTTP "
            "service in front of it",
        ],
    ),
    (
        "grpc_behind_the_alb",
        enabled("pricing-rules"),
        {
            "quoting": QUOTING,
            "product-pricing": PRICING,
            "pricing-rules": {**RULES, "alb": {"priority": 30, "path_patterns": ["/rules/*"]}},
        },
        [
            "services/pricing-rules/service.yaml: alb: a gRPC service cannot have a rule on the internal ALB: its "
            "listener speaks HTTP/1.1 (ALB gRPC targets need an HTTPS listener)",
            "    hint: remove alb; callers reach the service through Service Connect",
        ],
    ),
    (
        "sidecar_on_the_app_port",
        None,
        {
            "quoting": q(sidecars=[{"name": "envoy", "image": "envoyproxy/envoy:v1.31", "port": 8080}]),
            "product-pricing": PRICING,
        },
        [
            "services/quoting/service.yaml: sidecars[0].port: 8080 is the service's own port; a sidecar listens on another one"
        ],
    ),
    (
        "sidecar_mounts_an_undefined_volume",
        None,
        {
            "quoting": q(sidecars=[{"name": "agent", "image": "agent:1", "mounts": {"data": "/data"}}]),
            "product-pricing": PRICING,
        },
        [
            "services/quoting/service.yaml: sidecars[0].mounts.data: no volume named 'data' (defined under volumes: none)"
        ],
    ),
    (
        "too_many_security_groups_per_interface",
        None,
        {"quoting": q(security_groups=[f"sg-0000000{i}a" for i in range(5)]), "product-pricing": PRICING},
        [
            "services/quoting/service.yaml: security_groups: quota exceeded: security groups per network interface "
            "is 5; the service's would have 6 (its own group and 5 listed here)",
            "    hint: list at most 4; a database or cache can admit the service's own group instead "
            "(docs/service-to-service.md)",
        ],
    ),
    (
        "queue_scaling_without_a_queue",
        enabled("notifier"),
        {
            "quoting": QUOTING,
            "product-pricing": PRICING,
            "notifier": {"kind": "worker", "autoscaling": {"max": 4, "messages_per_task": 10}},
        },
        [
            "services/notifier/service.yaml: autoscaling.messages_per_task: needs the worker's queue: set queue: {} "
            "(a queue of its own) or queue.arn"
        ],
    ),
    (
        "worker_scaling_bounds_and_targets",
        enabled("notifier"),
        {
            "quoting": QUOTING,
            "product-pricing": PRICING,
            "notifier": {"kind": "worker", "queue": {}, "desired_count": 6, "autoscaling": {"min": 1, "max": 4}},
        },
        [
            "services/notifier/service.yaml: autoscaling: sets no scaling target",
            "    hint: set at least one of cpu_target, memory_target, messages_per_task",
            "services/notifier/service.yaml: desired_count: 6 is above autoscaling.max (4)",
        ],
    ),
    (
        # Used to crash every command with an AssertionError (exit 2).
        "alb_rule_without_paths_and_no_base_path",
        None,
        {"quoting": q(api={"exposure": "none"}, alb={"priority": 10}), "product-pricing": PRICING},
        [
            "services/quoting/service.yaml: alb.path_patterns: required field is missing (the ALB rule needs path "
            "patterns when there is no api.base_path)"
        ],
    ),
    (
        "exposed_service_without_an_alb_rule",
        None,
        {"quoting": q(alb=None), "product-pricing": PRICING},
        [
            "services/quoting/service.yaml: alb: required field is missing (exposure is public: API routes reach the "
            "service through its rule on the internal ALB)",
            "    hint: set alb.priority, or api.exposure: none for a service reached only through Service Connect",
        ],
    ),
]


@pytest.mark.parametrize(("registry_data", "services", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_traffic_problem_is_reported_exactly(
    tmp_path: Path, registry_data: Any, services: Services, expected: list[str]
) -> None:
    project = make_project(tmp_path, registry_data, services, LAMBDA_CODE)
    result = run_cli("validate", "--env", "dev", project=project)
    assert result.code == 1
    assert result.err.splitlines() == with_summary(expected)


def test_the_old_crash_is_a_problem_for_new_service_too(tmp_path: Path) -> None:
    # GIVEN a registry with the service that used to raise AssertionError in every command
    services = {"quoting": q(api={"exposure": "none"}, alb={"priority": 10}), "product-pricing": PRICING}
    project = make_project(tmp_path, None, services)
    # WHEN a new service is scaffolded THEN the registry's problem is reported, exit 1
    result = run_cli("new-service", "orders", "--kind", "ecs", project=project)
    assert result.code == 1
    assert "services/quoting/service.yaml: alb.path_patterns: required field is missing" in result.err
    assert "AssertionError" not in result.err


def test_an_internal_service_needs_no_alb_and_cycles_are_allowed(tmp_path: Path) -> None:
    services = {
        "quoting": q(calls=["pricing-rules"]),
        "product-pricing": PRICING,
        "pricing-rules": {**RULES, "calls": ["quoting"]},
    }
    valid = load_registry(make_project(tmp_path, enabled("pricing-rules"), services), ["dev"])
    rules = {e.name: e for e in valid.environments["dev"].services}["pricing-rules"]
    assert rules.alb_patterns() == ()
    assert traffic_rules.callers_of(list(valid.environments["dev"].services)) == {
        "pricing-rules": ["quoting"],
        "quoting": ["pricing-rules"],
    }


def test_a_callee_admits_at_most_sixty_rules(tmp_path: Path) -> None:
    # GIVEN product-pricing behind the ALB (one rule) and called by 60 workers (60 rules)
    callers = {f"worker-{i:02d}": {**WORKER, "calls": ["product-pricing"]} for i in range(60)}
    project = make_project(tmp_path, enabled(*callers), {"quoting": QUOTING, "product-pricing": PRICING, **callers})
    result = run_cli("validate", "--env", "dev", project=project)
    assert result.code == 1
    assert result.err.splitlines() == [
        "services/registry.yaml: environments.dev.services: quota exceeded: inbound rules per security group is 60; "
        "the security group of 'product-pricing' would have 61 (the ALB and 60 callers)",
        "    hint: fewer services can call it directly; put a queue or an aggregating service in between",
        "error: 1 problem found",
    ]


def test_an_environment_creates_at_most_the_security_groups_a_vpc_holds() -> None:
    worker = WorkerService(kind="worker")
    entries = [ServiceEntry(f"w{i}", f"services/w{i}/service.yaml", worker, {}) for i in range(2_498)]

    def quotas(services: list[ServiceEntry], network: dict[str, Any] | None = None) -> list[Finding]:
        env = Environment.model_validate({"network": {"mode": "create", **(network or {})}})
        ctx = EnvironmentContext(env, "dev", "eu-west-1", Path("."), tuple(services))
        return list(traffic_rules.security_group_quotas(ctx))

    assert quotas(entries) == [
        Finding(
            ("services",),
            "quota exceeded: security groups per VPC is 2,500; environment 'dev' would create 2,501 (one per "
            "container service and per Lambda service in the VPC, and the platform's)",
            "the quota is adjustable in Service Quotas; or split the services over two environments",
        )
    ]
    assert quotas(entries[:-1]) == []
    # the VPC endpoints' group is one more
    assert len(quotas(entries[:-1], {"endpoints": {"services": ["logs"]}})) == 1
    assert quotas(entries[:-1], {"endpoints": {"services": ["s3"]}}) == []  # a gateway endpoint has no group


def test_a_lambda_in_the_vpc_on_public_subnets_is_warned_about(tmp_path: Path) -> None:
    data = enabled("fn")
    data["environments"]["dev"]["network"] = {
        "mode": "existing",
        "vpc_id": "vpc-0123456789abcdef0",
        "vpc_cidr": "10.9.0.0/16",
        "public_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    }
    fn = {"kind": "lambda", "vpc": True, "api": {"base_path": "/fn"}, "calls": ["quoting"]}
    project = make_project(tmp_path, data, {"quoting": QUOTING, "product-pricing": PRICING, "fn": fn}, LAMBDA_CODE)
    spec = resolve(load_registry(project, ["dev"]), "dev").spec
    assert spec.warnings[-1] == (
        "environment 'dev': fn run in the VPC's public subnets (there are no private ones), where a function gets "
        "no public IP: they reach the services they call, but not the internet or AWS APIs without VPC endpoints"
    )
