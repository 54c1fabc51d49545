"""How new-service picks a listener priority and a base path, and what it refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import PRICING, QUOTING, make_project

from template_gen.errors import UsageError
from template_gen.registry import loader
from template_gen.scaffold import plan


@pytest.mark.parametrize(
    ("used", "expected"),
    [
        (set(), 10),
        ({10}, 20),
        ({10, 20}, 30),
        ({7}, 10),
        ({10, 25}, 30),
        ({49990}, 1),  # the next multiple would pass 49999: the lowest free number
        ({1, 2, 49995}, 3),
    ],
)
def test_next_priority_is_the_next_multiple_of_ten_above_the_highest(used: set[int], expected: int) -> None:
    assert plan.next_priority(used) == expected


def test_next_priority_refuses_when_every_priority_is_taken() -> None:
    with pytest.raises(UsageError) as caught:
        plan.next_priority(set(range(1, 50000)))
    assert str(caught.value) == "every ALB listener priority from 1 to 49999 is in use"


def raw_with(tmp_path: Path, services: dict[str, Any]) -> loader.RawRegistry:
    return loader.load(make_project(tmp_path, services=services))


def test_priorities_in_environment_overrides_count_too(tmp_path: Path) -> None:
    quoting = {**QUOTING, "environments": {"prod": {"alb": {"priority": 45}}}}
    raw = raw_with(tmp_path, {"quoting": quoting, "product-pricing": PRICING})
    assert plan.used_priorities(raw) == {10, 20, 45}
    assert plan.next_priority(plan.used_priorities(raw)) == 50


def test_default_path_is_the_name_when_free(tmp_path: Path) -> None:
    routes = plan.existing_routes(raw_with(tmp_path, {"quoting": QUOTING}))
    assert plan.choose_path("billing", None, routes) == ("/billing", None)


def test_default_path_is_adjusted_when_another_service_claims_it(tmp_path: Path) -> None:
    other = {**PRICING, "api": {"base_path": "/billing"}}
    routes = plan.existing_routes(raw_with(tmp_path, {"payments": other}))
    assert plan.choose_path("billing", None, routes) == (
        "/billing-2",
        "/billing overlaps a route of another service; using /billing-2 (or pass --path)",
    )


def test_explicit_alb_patterns_of_other_services_are_respected(tmp_path: Path) -> None:
    catch_all = {**PRICING, "alb": {"priority": 20, "path_patterns": ["/api/*"]}}
    routes = plan.existing_routes(raw_with(tmp_path, {"gateway": catch_all}))
    with pytest.raises(UsageError) as caught:
        plan.choose_path("billing", "/api/billing", routes)
    assert str(caught.value) == (
        "--path /api/billing: '/api/billing' overlaps '/api/*' of services/gateway/service.yaml "
        "(both match '/api/billing'); choose a path no other service uses"
    )


def test_a_given_path_below_another_services_path_is_refused(tmp_path: Path) -> None:
    routes = plan.existing_routes(raw_with(tmp_path, {"quoting": QUOTING}))
    with pytest.raises(UsageError) as caught:
        plan.choose_path("quote-admin", "/quoting/admin", routes)
    assert str(caught.value) == (
        "--path /quoting/admin: '/quoting/admin' overlaps '/quoting/*' of services/quoting/service.yaml "
        "(both match '/quoting/admin'); choose a path no other service uses"
    )


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("billing", "--path billing: 'billing' must start with '/'"),
        ("/billing/", "--path /billing/: '/billing/' must not end with '/'"),
        ("/", "--path /: '/' cannot be a service base path; use a path such as /orders"),
    ],
)
def test_a_malformed_path_is_refused_with_the_validation_message(tmp_path: Path, given: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        plan.choose_path("billing", given, [])
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("kind", "port", "expected"),
    [("ecs", None, 8080), ("ecs", 1, 1), ("ecs", 65535, 65535), ("lambda", None, None)],
)
def test_port_defaults_and_bounds(kind: str, port: int | None, expected: int | None) -> None:
    assert plan.check_port(kind, port) == expected


@pytest.mark.parametrize(
    ("kind", "port", "message"),
    [
        ("ecs", 0, "--port 0: must be between 1 and 65535"),
        ("ecs", 70000, "--port 70000: must be between 1 and 65535"),
        ("lambda", 8080, "--port applies to --kind ecs only (a Lambda service has no container port)"),
    ],
)
def test_port_refusals(kind: str, port: int, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        plan.check_port(kind, port)
    assert str(caught.value) == message
