"""Platforms of hundreds of services: sharded compute and API stacks, several ALBs, stable placement,
deploy-in-waves, and every template within every quota and clean under cfn-lint."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from collections.abc import Callable
from multiprocessing import Pool
from pathlib import Path
from typing import Any

import pytest
import yaml
from generate_registry import write_registry
from support import lint_matches

from template_gen import costs, quota_report, quotas
from template_gen.pipeline import SynthResult, synthesize
from template_gen.spec import LambdaServiceSpec
from template_gen.stacks.compute import shard_stage

pytestmark = pytest.mark.slow
Generated = Callable[[int], tuple[Path, SynthResult]]


def rendered(result: SynthResult) -> dict[str, dict[str, Any]]:
    return {s.file_name: yaml.safe_load(s.text) for s in result.stacks}


@pytest.mark.parametrize("count", [150, 400])
def test_every_quota_holds_on_a_large_platform(generated: Generated, count: int) -> None:
    _, result = generated(count)
    uses = quota_report.usage(result.spec, result.stacks)
    over = [u for u in uses if u.used > u.limit and u.quota is not quotas.CFN_NESTED_OPERATION]
    assert over == []
    # Every template stays under the shard budget, well below the hard limits. The cost model does not count
    # an asynchronous function's failed-events queue, its policy and EventInvokeConfig yet (3 resources,
    # stacks.async_failures); until costs are derived from the builders, the budget allows for them.
    unmodelled = {s.file_name: 3 * s.text.count("FailedEventsQueuePolicy:\n") for s in result.stacks}
    assert max(s.resources - unmodelled[s.file_name] for s in result.stacks) <= quotas.SHARD_RESOURCES
    assert max(s.outputs for s in result.stacks) <= quotas.SHARD_OUTPUTS
    assert max(s.parameters for s in result.stacks) <= quotas.SHARD_PARAMETERS
    placement = result.spec.placement
    assert len(placement.compute_shards) > 1 and len(placement.route_shards) > 1
    ecs = len(result.spec.ecs_services)
    assert placement.alb_count == -(-ecs // quotas.SERVICES_PER_ALB)  # ceil: ALBs are filled in order


def _lint(item: tuple[str, str]) -> tuple[str, list[str]]:
    return item[0], lint_matches(item[1])


@pytest.mark.parametrize("count", [150, 400])
def test_every_template_of_a_large_platform_passes_cfn_lint(generated: Generated, count: int) -> None:
    _, result = generated(count)
    with Pool(2) as pool:
        problems = dict(pool.map(_lint, [(s.file_name, s.text) for s in result.stacks]))
    assert problems == {s.file_name: [] for s in result.stacks}


def test_cost_model_matches_the_rendered_compute_and_route_stacks(generated: Generated) -> None:
    _, result = generated(400)
    spec, templates = result.spec, rendered(result)
    by_file = {s.file_name: s for s in result.stacks}
    for shard in spec.placement.compute_shards:
        services = [s for s in spec.services if spec.placement.compute.get(s.name, 1) == shard]
        expected = sum((costs.compute_cost(s) for s in services), costs.Cost())
        # Not in the cost model yet: a function with schedule or EventBridge events also gets its failed-events
        # queue, the queue's policy and (after the SAM transform) an EventInvokeConfig (stacks.async_failures).
        async_functions = sum(
            any(e.schedule is not None or (e.eventbridge is not None and e.enabled) for _, e in s.events)
            for s in services
            if isinstance(s, LambdaServiceSpec)
        )
        expected = expected + costs.Cost(3 * async_functions)
        if shard == 1:
            expected = expected + costs.shared_compute_cost(spec)
        stack = by_file[shard_stage(shard)[2]]
        assert (stack.resources, stack.outputs) == (expected.resources, expected.outputs), stack.file_name
    groups = costs.route_groups(spec)
    for shard in spec.placement.route_shards[1:]:  # later route stacks hold routes only
        expected = sum((groups[g] for g, s in spec.placement.routes.items() if s == shard), costs.Cost())
        stack = by_file[f"api-routes-{shard}.yaml"]
        assert stack.resources == expected.resources, stack.file_name
        # Function ARNs are the groups' parameters; the rest are the stack's fixed references.
        params = templates[stack.file_name]["Parameters"]
        functions = [p for p in params if p.endswith("FunctionArn")]
        assert len(functions) == expected.parameters, stack.file_name
        assert sorted(set(params) - set(functions)) == [
            "NlbDnsName", "PrivateApi", "PrivateApiAuthorizer", "PrivateApiRootResourceId",
            "PublicApi", "PublicApiAuthorizer", "PublicApiRootResourceId", "VpcLinkId",
        ]  # fmt: skip
    assert templates["template.yaml"]["Resources"]["ApiStageStack"]["DependsOn"] == [
        f"ApiRoutes{shard}Stack" for shard in spec.placement.route_shards[1:]
    ]


def test_adding_a_service_in_the_middle_moves_no_other_service(tmp_path: Path) -> None:
    names = write_registry(tmp_path, 400)
    before = synthesize(tmp_path, "prod")
    placement_file = tmp_path / "services/environments/prod.placement.json"
    placed = json.loads(placement_file.read_text())
    # GIVEN a new service whose name sorts in the middle (svc-0150 exists; svc-0150b is new)
    shutil.copytree(tmp_path / "services/svc-0150", tmp_path / "services/svc-0150b")
    service = tmp_path / "services/svc-0150b/service.yaml"
    data = yaml.safe_load(service.read_text())
    data["api"]["base_path"] = "/svc-0150b"
    data["health_check"]["path"] = "/svc-0150b/health"
    data["alb"]["priority"] = 45000
    service.write_text(yaml.safe_dump(data))
    registry = tmp_path / "services/registry.yaml"
    reg = yaml.safe_load(registry.read_text())
    reg["environments"]["prod"]["services"] = sorted([*names, "svc-0150b"])
    registry.write_text(yaml.safe_dump(reg))
    # WHEN synth runs again
    after = synthesize(tmp_path, "prod")
    replaced = json.loads(placement_file.read_text())
    # THEN every existing service keeps its compute shard, ALB and route stack
    for section in ("compute", "albs", "api_routes"):
        moved = {k: (v, replaced[section][k]) for k, v in placed[section].items() if replaced[section][k] != v}
        assert moved == {}, section
    assert "svc-0150b" in replaced["compute"]
    # AND only the stacks that receive the new service (and the root and the stage stack) change
    old = {s.file_name: s.text for s in before.stacks}
    new = {s.file_name: s.text for s in after.stacks}
    changed = {name for name in new if old.get(name) != new[name]}
    compute_file = shard_stage(replaced["compute"]["svc-0150b"])[2]
    route_shard = replaced["api_routes"]["svc-0150b"]
    route_file = "api.yaml" if route_shard == 1 else f"api-routes-{route_shard}.yaml"
    assert changed <= {"template.yaml", "api-stage.yaml", "network.yaml", compute_file, route_file}
    assert {compute_file, route_file} <= changed


def test_a_committed_placement_is_kept_even_where_a_fresh_one_would_differ(tmp_path: Path) -> None:
    write_registry(tmp_path, 10)
    (tmp_path / "services/environments").mkdir(parents=True)
    placement = {"version": 1, "compute": {"svc-0003": 2}, "albs": {"svc-0003": 2}, "api_routes": {}}
    (tmp_path / "services/environments/prod.placement.json").write_text(json.dumps(placement))
    result = synthesize(tmp_path, "prod")
    assert result.spec.placement.compute["svc-0003"] == 2
    assert result.spec.placement.albs["svc-0003"] == 2
    files = [s.file_name for s in result.stacks]
    assert "compute-2.yaml" in files
    network = rendered(result)["network.yaml"]["Resources"]
    assert network["IngressNlbListener2"]["Properties"]["Port"] == 81
    assert network["IngressNlbToAlb2TargetGroup"]["Properties"]["Targets"] == [{"Id": {"Ref": "Alb2"}, "Port": 80}]
    compute2 = rendered(result)["compute-2.yaml"]
    assert compute2["Parameters"]["Cluster"]["Type"] == "String"
    rule = compute2["Resources"]["Svc0003ListenerRule"]["Properties"]
    assert rule["ListenerArn"] == {"Ref": "Alb2ListenerArn"}
    api = rendered(result)["api.yaml"]["Resources"]
    uri = api["PublicSvc0003AnyMethod"]["Properties"]["Integration"]["Uri"]
    assert uri == {"Fn::Sub": ["http://${IntegrationHost}:81/svc-0003", {"IntegrationHost": {"Ref": "NlbDnsName"}}]}
    root = rendered(result)["template.yaml"]["Resources"]
    assert root["ComputeStack2"]["Properties"]["Parameters"]["Cluster"] == {
        "Fn::GetAtt": ["ComputeStack", "Outputs.ClusterName"]
    }


def test_a_damaged_placement_file_is_a_clear_error(tmp_path: Path) -> None:
    write_registry(tmp_path, 3)
    (tmp_path / "services/environments").mkdir(parents=True)
    (tmp_path / "services/environments/prod.placement.json").write_text('{"version": 1, "compute": []}')
    from support import run_cli

    result = run_cli("synth", "--env", "prod", project=tmp_path)
    assert result.code == 1
    assert result.err.startswith("error: services/environments/prod.placement.json: the placement file is damaged (")
    assert "restore it from version control" in result.err


def test_a_first_deployment_goes_in_waves_each_within_one_operation(generated: Generated) -> None:
    project, full = generated(400)
    assert any("Deploy it the first time in" in w for w in full.warnings)
    plan = costs.waves(full.spec)
    assert len(plan) == full.wave_count > 1
    total_before = 0
    for wave in range(1, len(plan) + 1):
        result = synthesize(project, "prod", out_dir=project / f"wave-{wave}", wave=wave)
        total = sum(s.resources for s in result.stacks)
        assert result.created == total - total_before
        assert 0 < result.created <= quotas.CFN_NESTED_OPERATION.limit
        total_before = total
    assert total_before == sum(s.resources for s in full.stacks)  # the last wave is the whole platform


def test_services_per_alb_fill_in_order(generated: Generated) -> None:
    _, result = generated(400)
    per_alb: dict[int, list[str]] = defaultdict(list)
    for name, index in sorted(result.spec.placement.albs.items()):
        per_alb[index].append(name)
    sizes = [len(per_alb[i]) for i in sorted(per_alb)]
    assert sizes[:-1] == [quotas.SERVICES_PER_ALB] * (len(sizes) - 1)
    assert 0 < sizes[-1] <= quotas.SERVICES_PER_ALB
