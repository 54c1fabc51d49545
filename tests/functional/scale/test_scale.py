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

from template_gen import quota_report, quotas
from template_gen.layout.capacity import SERVICES_PER_ALB, SHARD_OUTPUTS, SHARD_PARAMETERS, SHARD_RESOURCES, Cost
from template_gen.layout.costs import Costs
from template_gen.layout.planner import route_groups
from template_gen.pipeline import Synthesis, synthesize
from template_gen.stacks.common import RenderContext
from template_gen.stacks.compute import shard_stage

pytestmark = pytest.mark.slow
Generated = Callable[[int], tuple[Path, Synthesis]]


def rendered(result: Synthesis) -> dict[str, dict[str, Any]]:
    return {s.file_name: yaml.safe_load(s.text) for s in result.stacks}


@pytest.mark.parametrize("count", [150, 400])
def test_every_quota_holds_on_a_large_platform(generated: Generated, count: int) -> None:
    _, result = generated(count)
    uses = quota_report.usage(result.spec, result.stacks)
    over = [u for u in uses if u.used > u.limit and u.quota is not quotas.CFN_NESTED_OPERATION]
    assert over == []
    # Every template stays under the shard budget, well below the hard limits.
    assert max(s.resources for s in result.stacks) <= SHARD_RESOURCES
    assert max(s.outputs for s in result.stacks) <= SHARD_OUTPUTS
    assert max(s.parameters for s in result.stacks) <= SHARD_PARAMETERS
    placement = result.spec.placement
    assert len(placement.compute_shards) > 1 and len(placement.route_shards) > 1
    ecs = len(result.spec.ecs_services)
    assert placement.alb_count == -(-ecs // SERVICES_PER_ALB)  # ceil: ALBs are filled in order


def _lint(item: tuple[str, str]) -> tuple[str, list[str]]:
    return item[0], lint_matches(item[1])


@pytest.mark.parametrize("count", [150, 400])
def test_every_template_of_a_large_platform_passes_cfn_lint(generated: Generated, count: int) -> None:
    _, result = generated(count)
    with Pool(2) as pool:
        problems = dict(pool.map(_lint, [(s.file_name, s.text) for s in result.stacks]))
    assert problems == {s.file_name: [] for s in result.stacks}


def test_cost_model_matches_the_rendered_compute_and_route_stacks(generated: Generated) -> None:
    project, result = generated(400)
    spec, templates = result.spec, rendered(result)
    by_file = {s.file_name: s for s in result.stacks}
    model = Costs(spec, RenderContext(project))
    for shard in spec.placement.compute_shards:
        services = [s for s in spec.services if spec.placement.compute.get(s.name, 1) == shard]
        expected = sum((model.service(s).compute for s in services), Cost())
        if shard == 1:
            expected = expected + model.shared_compute().compute
        stack = by_file[shard_stage(shard)[2]]
        assert (stack.resources, stack.outputs) == (expected.resources, expected.outputs), stack.file_name
    groups = route_groups(spec.routes)
    for shard in spec.placement.route_shards[1:]:  # later route stacks hold routes only
        expected = sum((model.route_group(groups[g]) for g, s in spec.placement.routes.items() if s == shard), Cost())
        stack = by_file[f"api-routes-{shard}.yaml"]
        assert stack.resources == expected.resources, stack.file_name
        # The groups' costs are their function ARNs; the stack's fixed references come once per stack, within
        # the headroom between the shard budget (180) and the quota (200).
        params = templates[stack.file_name]["Parameters"]
        fixed = sorted(set(params) - {p for p in params if p.endswith("FunctionArn")})
        assert fixed == [
            "NlbDnsName", "PrivateApi", "PrivateApiAuthorizer", "PrivateApiRootResourceId",
            "PublicApi", "PublicApiAuthorizer", "PublicApiRootResourceId", "VpcLinkId",
        ]  # fmt: skip
        assert stack.parameters == expected.parameters + len(fixed), stack.file_name
    assert templates["template.yaml"]["Resources"]["ApiStageStack"]["DependsOn"] == [
        f"ApiRoutes{shard}Stack" for shard in spec.placement.route_shards[1:]
    ]


def test_adding_a_service_in_the_middle_moves_no_other_service(tmp_path: Path) -> None:
    names = write_registry(tmp_path, 400)
    before = synthesize(tmp_path, "prod").write()
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
    after = synthesize(tmp_path, "prod").write()
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
    watching = "observability" + compute_file.removeprefix("compute")  # the stack with the service's alarms
    assert changed <= {"template.yaml", "api-stage.yaml", "network.yaml", compute_file, route_file, watching}
    assert {compute_file, route_file} <= changed


def test_a_committed_placement_is_kept_even_where_a_fresh_one_would_differ(tmp_path: Path) -> None:
    write_registry(tmp_path, 10)
    (tmp_path / "services/environments").mkdir(parents=True)
    placement = {"version": 1, "compute": {"svc-0003": 2}, "albs": {"svc-0003": 2}, "api_routes": {}}
    (tmp_path / "services/environments/prod.placement.json").write_text(json.dumps(placement))
    result = synthesize(tmp_path, "prod").write()
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
    plan = full.layout.waves
    assert len(plan) == full.wave_count > 1
    total_before = 0
    for wave in range(1, len(plan) + 1):
        result = synthesize(project, "prod", out_dir=project / f"wave-{wave}", wave=wave).write()
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
    assert sizes[:-1] == [SERVICES_PER_ALB] * (len(sizes) - 1)
    assert 0 < sizes[-1] <= SERVICES_PER_ALB
