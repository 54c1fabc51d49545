from __future__ import annotations

import pytest

from template_gen import naming


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("quoting", None),
        ("product-pricing", None),
        ("a" * 32, None),
        ("a" * 33, "is 33 characters long; service names are at most 32"),
        ("Quoting", "is not a valid service name"),
        ("quoting_v2", "is not a valid service name"),
        ("-quoting", "is not a valid service name"),
        ("quoting-", "is not a valid service name"),
        ("quo--ting", "is not a valid service name"),
        ("2quoting", "is not a valid service name"),
        ("admin", "is reserved by the platform"),
        ("environments", "is reserved by the platform"),
    ],
)
def test_service_names_follow_the_rules_that_keep_derived_names_valid(name: str, problem: str | None) -> None:
    message = naming.check_service_name(name)
    if problem is None:
        assert message is None
    else:
        assert message is not None and problem in message


@pytest.mark.parametrize(
    ("name", "ok"),
    [("acme", True), ("a" * 16, True), ("a" * 17, False), ("Acme", False), ("acme-", False), ("ac-me", True)],
)
def test_platform_names(name: str, ok: bool) -> None:
    assert (naming.check_platform_name(name) is None) is ok


@pytest.mark.parametrize(
    ("name", "ok"), [("dev", True), ("prod2", True), ("a" * 10, True), ("a" * 11, False), ("pre-prod", False)]
)
def test_environment_names(name: str, ok: bool) -> None:
    assert (naming.check_environment_name(name) is None) is ok


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("product-pricing",), "ProductPricing"),
        (("product-pricing", "task-definition"), "ProductPricingTaskDefinition"),
        (("a1-b",), "A1B"),
        (("platform_info",), "PlatformInfo"),
    ],
)
def test_logical_ids_are_camel_case(parts: tuple[str, ...], expected: str) -> None:
    assert naming.logical_id(*parts) == expected


def test_longest_allowed_names_fit_every_derived_aws_limit() -> None:
    platform, env, service = "p" * naming.PLATFORM_MAX, "e" * naming.ENVIRONMENT_MAX, "s" * naming.SERVICE_MAX
    assert len(naming.function_name(platform, env, service)) == 60 <= naming.FUNCTION_NAME_MAX
    assert len(naming.stack_name(platform, env)) == 27 <= naming.STACK_NAME_MAX
    assert naming.ecr_repository_name(platform, env, service) == f"{platform}/{env}/{service}"
    assert naming.log_group_name("acme", "dev", "ecs", "quoting") == "/acme/dev/ecs/quoting"
    assert naming.export_name("acme", "dev", "VpcId") == "acme-dev-VpcId"
    assert naming.ssm_parameter_name("acme", "dev", "usage-plans") == "/acme/dev/usage-plans"
    assert naming.code_dir_for("platform-info") == "functions/platform_info"


def test_long_names_are_bounded_with_a_stable_hash_suffix() -> None:
    assert naming.bounded("short", 64) == "short"
    long = "p" * 16 + "-" + "e" * 10 + "-" + "s" * 32 + "-" + "v" * 32
    bounded = naming.bounded(long, 64)
    assert len(bounded) == 64
    assert bounded.startswith("p" * 16 + "-" + "e" * 10 + "-") and bounded == naming.bounded(long, 64)
    assert bounded != naming.bounded(long + "x", 64)
    assert naming.event_rule_name("acme", "dev", "reports", "nightly") == "acme-dev-reports-nightly"
