"""Callers start after the services they call (a task resolves only the Service Connect endpoints that
existed when it started), except inside a call cycle, which CloudFormation could not order."""

from __future__ import annotations

from template_gen.registry.models import Api, HealthCheck
from template_gen.spec import EcsServiceSpec
from template_gen.stacks.service_connect import start_after


def svc(name: str, *calls: str, port: int | None = 8080) -> EcsServiceSpec:
    return EcsServiceSpec(
        name=name, logical=name.title(), file="", description="", tags=(), port=port, cpu=256, memory=512,
        desired_count=1, image_tag=None, image_repository=None, environment=(), log_retention_days=30,
        api=Api(exposure="none", auth="none"), priority=None, path_patterns=(), health_check=HealthCheck(),
        autoscaling=None, xray=False, capacity_provider_strategy=(), deployment=None,  # type: ignore[arg-type]
        ecr=None, calls=calls,  # type: ignore[arg-type]
    )  # fmt: skip


def test_a_caller_starts_after_its_callees_of_the_same_stack() -> None:
    services = [svc("web", "cart", "catalog"), svc("cart", "catalog"), svc("catalog"), svc("worker", "web", port=None)]
    assert start_after(services) == {"cart": ["catalog"], "web": ["cart", "catalog"], "worker": ["web"]}


def test_a_call_cycle_is_not_ordered_but_the_rest_of_the_graph_is() -> None:
    services = [svc("a", "b"), svc("b", "a", "c"), svc("c"), svc("d", "a")]
    assert start_after(services) == {"b": ["c"], "d": ["a"]}


def test_callees_in_another_stack_and_workers_are_not_ordered() -> None:
    # 'elsewhere' lives in another shard; 'jobs' is a worker (no port): neither is a dependency here.
    services = [svc("web", "elsewhere", "jobs"), svc("jobs", port=None)]
    assert start_after(services) == {}
