"""The layout's costs come from the builders: a resource added to every ECS service moves the sharding
with no other edit, and the measured costs add up to the rendered stacks exactly."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml
from generate_registry import write_registry
from troposphere import ssm

from template_gen.layout.capacity import Cost, ShardLoad
from template_gen.layout.costs import Costs
from template_gen.pipeline import Synthesis, synthesize
from template_gen.spec import EcsServiceSpec
from template_gen.stacks import compute, observability
from template_gen.stacks.common import RenderContext
from template_gen.stacks.compute import shard_stage

pytestmark = pytest.mark.slow


def _compute_stacks_match_costs(project: Path, result: Synthesis) -> list[int]:
    """Per compute shard: rendered resources == shared part (first shard) + the services' measured costs."""
    spec = result.spec
    model = Costs(spec, RenderContext(project))
    by_file = {s.file_name: s for s in result.stacks}
    counts = []
    for shard in spec.placement.compute_shards:
        services = [s for s in spec.services if spec.placement.compute_shard_of(s.name) == shard]
        loads = [model.service(s) for s in services]
        first = model.shared_compute() if shard == 1 else ShardLoad()
        expected = sum((load.compute for load in loads), first.compute)
        stack = by_file[shard_stage(shard)[2]]
        assert (stack.resources, stack.outputs) == (expected.resources, expected.outputs), stack.file_name
        watching = sum((load.observability for load in loads), first.observability)
        stack = by_file[observability.stage_names(shard)[2]]
        # Dashboard pages and saved queries come in steps (a page per 500 widgets, a query per 50 log groups),
        # which a per-service marginal cost does not see; the shard budget's headroom (400 of 500) holds them.
        assert 0 <= stack.resources - watching.resources <= 10, stack.file_name
        counts.append(len(services))
    return counts


def test_a_resource_added_to_every_ecs_service_moves_the_sharding_without_other_edits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_registry(tmp_path / "before", 200)
    write_registry(tmp_path / "after", 200)
    before = synthesize(tmp_path / "before", "prod")
    per_shard_before = _compute_stacks_match_costs(tmp_path / "before", before)

    # GIVEN a builder that adds one more resource (and output) to every ECS service (a test-only hook)
    original = compute.ecs_service

    def with_one_more(b, env, svc: EcsServiceSpec, shared, alb):  # type: ignore[no-untyped-def]
        made = original(b, env, svc, shared, alb)
        param = b.add(ssm.Parameter(f"{svc.logical}Marker", Type="String", Value=svc.name))
        b.output(f"{svc.logical}Marker", param.ref(), "test marker")
        return made

    monkeypatch.setattr(compute, "ecs_service", with_one_more)
    after = synthesize(tmp_path / "after", "prod")

    # THEN each ECS service costs one resource and one output more, measured, not edited anywhere
    svc = next(s for s in after.spec.ecs_services)
    grown = Costs(after.spec, RenderContext(tmp_path / "after")).service(svc).compute
    monkeypatch.setattr(compute, "ecs_service", original)
    plain = Costs(before.spec, RenderContext(tmp_path / "before")).service(svc).compute
    assert (grown.resources - plain.resources, grown.outputs - plain.outputs) == (1, 1)
    monkeypatch.setattr(compute, "ecs_service", with_one_more)
    # AND the shards hold fewer services, still exactly as the costs say, within the shard budget
    per_shard_after = _compute_stacks_match_costs(tmp_path / "after", after)
    assert len(per_shard_after) > len(per_shard_before)
    assert per_shard_after[0] < per_shard_before[0]
    assert max(s.resources for s in after.stacks) <= 400


def _api_objects(result: Synthesis) -> int:
    import yaml

    return sum(
        1
        for stack in result.stacks
        for r in (yaml.safe_load(stack.text).get("Resources") or {}).values()
        if r["Type"] in ("AWS::ApiGateway::Resource", "AWS::ApiGateway::Method")
    )


def test_waves_are_sized_by_api_gateway_objects_as_well_as_resources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from template_gen.layout import waves

    write_registry(tmp_path, 90)
    assert synthesize(tmp_path, "prod").wave_count == 1  # well within 2,400 resources
    # GIVEN a budget of 300 API Gateway objects per wave
    monkeypatch.setattr(waves, "API_OBJECTS_PER_WAVE", 300)
    full = synthesize(tmp_path, "prod")
    assert full.wave_count > 1
    # THEN every wave creates at most that many Resources and Methods on top of the previous waves
    before = 0
    for wave in range(1, full.wave_count + 1):
        objects = _api_objects(synthesize(tmp_path, "prod", out_dir=tmp_path / f"w{wave}", wave=wave))
        assert 0 < objects - before <= 300, wave
        before = objects
    assert before == _api_objects(full)


def test_services_that_differ_only_in_names_and_paths_are_measured_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_registry(tmp_path, 10)
    spec = synthesize(tmp_path, "prod").spec
    model = Costs(spec, RenderContext(tmp_path))
    probes: list[tuple[str, ...]] = []
    measure = model._compute_probe

    def counted(services, like):  # type: ignore[no-untyped-def]
        probes.append(tuple(s.name for s in services))
        return measure(services, like)

    monkeypatch.setattr(model, "_compute_probe", counted)
    # GIVEN two ECS services alike but for their names, base paths, health check paths and Service Connect names
    identity = ("name", "logical", "file", "description", "tags", "image_tag", "priority", "path_patterns")
    first, second = next(
        (a, b)
        for a in spec.ecs_services
        for b in spec.ecs_services
        if a.name < b.name
        and dataclasses.replace(
            a,
            health_check=b.health_check,
            dns_name=b.dns_name,
            api=a.api.model_copy(update={"base_path": b.api.base_path}),
            **{field: getattr(b, field) for field in identity},
        )
        == b
    )
    assert first.health_check.path != second.health_check.path and first.dns_name != second.dns_name
    # WHEN both are measured
    loads = [model.service(first), model.service(second)]
    # THEN the scratch stacks are built once (a probe of two services and one of one), and both cost the same
    assert probes == [("probe-a", "probe-b"), ("probe-a",)]
    assert loads[0] == loads[1]
    # AND a service of another shape (autoscaled) is measured on its own
    scaled = next(s for s in spec.ecs_services if s.autoscaling is not None)
    model.service(scaled)
    assert len(probes) == 4


def test_calls_are_counted_on_both_sides_so_no_shard_gets_more_than_its_costs(tmp_path: Path) -> None:
    # GIVEN 60 services, 24 of the container services calling the first one (a hub)
    write_registry(tmp_path, 60)
    callers = []
    for service_file in sorted((tmp_path / "services").glob("svc-*/service.yaml"))[1:]:
        data = yaml.safe_load(service_file.read_text())
        if data["kind"] == "ecs" and len(callers) < 24:
            data["calls"] = ["svc-0000"]
            service_file.write_text(yaml.safe_dump(data, sort_keys=False))
            callers.append(service_file.parent.name)
    result = synthesize(tmp_path, "prod")
    spec = result.spec
    model = Costs(spec, RenderContext(tmp_path))
    by_name = {s.name: s for s in spec.services}
    # THEN one call costs its ingress rule, counted for the caller and for the hub
    assert model.calls(by_name[callers[0]]) == Cost(resources=1)
    assert model.calls(by_name["svc-0000"]) == Cost(resources=24)
    # AND every compute shard renders at most what its services' costs reserved (the rule of a call lands in
    # one of the two shards, and both reserved it)
    by_file = {s.file_name: s for s in result.stacks}
    for shard in spec.placement.compute_shards:
        services = [s for s in spec.services if spec.placement.compute_shard_of(s.name) == shard]
        first = model.shared_compute() if shard == 1 else ShardLoad()
        reserved = sum((model.service(s).compute for s in services), first.compute)
        rendered = by_file[shard_stage(shard)[2]].resources
        calls_here = sum(model.calls(s).resources for s in services)
        assert reserved.resources - calls_here <= rendered <= reserved.resources, shard
