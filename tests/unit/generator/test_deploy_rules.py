"""Registry rules for settings that lint cleanly but fail when an account deploys them: exact problem
lines, exit code 1, and what is accepted instead."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from support import PRICING, QUOTING, REGISTRY, make_project, run_cli

EXISTING = {
    "mode": "existing",
    "vpc_id": "vpc-0123456789abcdef0",
    "vpc_cidr": "10.0.0.0/16",
    "private_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
}
PRIVATE_QUOTING = {**QUOTING, "api": {"base_path": "/quoting", "exposure": "private"}}


def validate(
    tmp_path: Path, dev: dict[str, Any] | None = None, quoting: dict[str, Any] | None = None, **top: Any
) -> Any:
    registry = copy.deepcopy(REGISTRY)
    registry.update(top)
    registry["environments"]["dev"].update(dev or {})
    services = {"quoting": quoting or QUOTING, "product-pricing": PRICING}
    return run_cli("validate", "--env", "dev", project=make_project(tmp_path, registry, services))


def errors(result: Any) -> list[str]:
    assert result.code == 1, result.err
    return result.err.splitlines()[:-1]  # without the "error: N problems found" line


def test_arm64_service_on_fargate_spot_is_refused(tmp_path: Path) -> None:
    quoting = {**QUOTING, "platform": "arm64", "capacity_provider_strategy": [
        {"provider": "FARGATE", "base": 1}, {"provider": "FARGATE_SPOT", "weight": 3},
    ]}  # fmt: skip
    assert errors(validate(tmp_path, quoting=quoting)) == [
        "services/quoting/service.yaml: capacity_provider_strategy[1].provider: FARGATE_SPOT does not run ARM64 "
        "tasks (platform: arm64)",
        "    hint: use FARGATE for an arm64 service, or platform: x86_64 to run on Fargate Spot",
    ]


def test_x86_service_on_fargate_spot_is_accepted(tmp_path: Path) -> None:
    quoting = {**QUOTING, "capacity_provider_strategy": [{"provider": "FARGATE_SPOT"}]}
    assert validate(tmp_path, quoting=quoting).code == 0


@pytest.mark.parametrize(
    "network",
    [EXISTING, {"mode": "lookup", "vpc_id": "vpc-0123456789abcdef0"}, {"mode": "default"}],
    ids=["existing", "lookup", "default"],
)
def test_execute_api_endpoint_with_private_dns_in_a_vpc_not_owned_is_refused(
    tmp_path: Path, network: dict[str, Any]
) -> None:
    result = validate(tmp_path, {"network": network}, PRIVATE_QUOTING)
    assert errors(result) == [
        "services/registry.yaml: environments.dev.network.execute_api_endpoint: creates an execute-api endpoint "
        f"with private DNS in a VPC the environment does not own (mode: {network['mode']}); the create fails if "
        "the VPC already has one",
        "    hint: give the existing endpoint as endpoint_id, or set private_dns: false (the private API's URL uses "
        "the endpoint-specific hostname either way)",
    ]


@pytest.mark.parametrize(
    "endpoint",
    [{"endpoint_id": "vpce-0123456789abcdef0"}, {"private_dns": False}, {"create": "never"}],
    ids=["endpoint_id", "no_private_dns", "never_created"],
)
def test_execute_api_endpoint_in_an_existing_vpc_is_accepted_without_a_dns_conflict(
    tmp_path: Path, endpoint: dict[str, Any]
) -> None:
    network = {**EXISTING, "execute_api_endpoint": endpoint}
    assert validate(tmp_path, {"network": network}, PRIVATE_QUOTING).code == 0


def test_execute_api_endpoint_with_private_dns_in_a_created_vpc_is_accepted(tmp_path: Path) -> None:
    assert validate(tmp_path, quoting=PRIVATE_QUOTING).code == 0


def test_stage_throttling_below_a_usage_plan_is_refused(tmp_path: Path) -> None:
    api = {
        "throttle": {"rate_limit": 100, "burst_limit": 200},
        "usage_plans": [
            {"name": "basic", "throttle": {"rate_limit": 10, "burst_limit": 20}},
            {"name": "premium", "throttle": {"rate_limit": 250.5, "burst_limit": 150}},
        ],
    }
    assert errors(validate(tmp_path, {"api": api})) == [
        "services/registry.yaml: environments.dev.api.throttle.rate_limit: 100 is below usage plan 'premium' "
        "(250.5); its consumers would be throttled below their plan",
        "    hint: raise api.throttle.rate_limit to at least 250.5, or lower the plan's",
    ]


def test_powertools_layer_outside_its_regions_is_refused(tmp_path: Path) -> None:
    assert errors(validate(tmp_path, {"region": "us-gov-west-1"})) == [
        "services/registry.yaml: environments.dev.lambda.powertools: the official Powertools layer and its public "
        "SSM parameter are not published in us-gov-west-1",
        "    hint: set lambda.powertools.source: bundle, or pin lambda.powertools.layer_version if the layer exists "
        "in that Region (the pinned layer ARN is used instead of the SSM parameter)",
    ]


@pytest.mark.parametrize("powertools", [{"layer_version": 27}, {"source": "bundle"}], ids=["pinned", "bundled"])
def test_powertools_outside_its_regions_is_accepted_pinned_or_bundled(
    tmp_path: Path, powertools: dict[str, Any]
) -> None:
    assert validate(tmp_path, {"region": "us-gov-west-1", "lambda": {"powertools": powertools}}).code == 0


ROLE_PROBLEM = [
    "services/registry.yaml: environments.dev.api.cloudwatch_role: the stage writes API Gateway logs, and nothing "
    "gives account 123456789012 in eu-west-1 the CloudWatch role they need",
    "    hint: set api.cloudwatch_role: true here (once per account and Region), or cloudwatch_role: existing if "
    "the account's API Gateway settings already name a role",
]


def test_api_logging_in_an_account_without_the_cloudwatch_role_is_refused(tmp_path: Path) -> None:
    # GIVEN prod creates the role in its own account, and dev is in another one
    registry_prod = {**REGISTRY["environments"]["prod"], "account_id": "210987654321", "api": {"cloudwatch_role": True}}
    result = validate(tmp_path, {"account_id": "123456789012"}, environments={
        "dev": {**REGISTRY["environments"]["dev"]}, "prod": registry_prod,
    })  # fmt: skip
    assert errors(result) == ROLE_PROBLEM


@pytest.mark.parametrize(
    ("dev", "prod"),
    [
        ({"api": {"cloudwatch_role": True}}, {}),
        ({"api": {"cloudwatch_role": "existing"}}, {}),
        ({}, {"account_id": "123456789012", "api": {"cloudwatch_role": True}}),
        ({}, {"api": {"cloudwatch_role": True}}),  # prod's account is not known: it may be dev's
        ({"api": {"cloudwatch_role": False}, "platform_functions": {"onboarding": {"enabled": False}}}, {}),
    ],
    ids=["created_here", "existing", "same_account", "unknown_account", "no_api_stage"],
)
def test_api_logging_with_a_source_for_the_cloudwatch_role_is_accepted(
    tmp_path: Path, dev: dict[str, Any], prod: dict[str, Any]
) -> None:
    services = {"quoting": {**QUOTING, "api": {"base_path": "/quoting", "exposure": "none"}}, "product-pricing": {
        **PRICING, "api": {"base_path": "/product-pricing", "exposure": "none"}}}  # fmt: skip
    registry = copy.deepcopy(REGISTRY)
    registry["environments"]["dev"].update({"account_id": "123456789012", **dev})
    registry["environments"]["prod"].update(prod)
    no_stage = "platform_functions" in dev
    result = run_cli(
        "validate", "--env", "dev", project=make_project(tmp_path, registry, services if no_stage else None)
    )
    assert result.code == 0, result.err


def test_cloudwatch_role_takes_true_false_or_existing_only(tmp_path: Path) -> None:
    assert errors(validate(tmp_path, {"api": {"cloudwatch_role": "maybe"}})) == [
        "services/registry.yaml: environments.dev.api.cloudwatch_role: must be one of True, False or 'existing' "
        "(got 'maybe')"
    ]
