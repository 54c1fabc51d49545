"""Escape hatches as a user writes them: `overrides:` and `extra_resources:` in a service file and per
environment in the registry, applied to the built templates, checked (resource, path, cfn-lint), counted in
the quotas and shown by diff."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from support import PRICING, QUOTING, REGISTRY, lint_matches, load, make_project, run_cli

ULIMITS = [{"Name": "nofile", "SoftLimit": 65536, "HardLimit": 65536}]
# 1. A property the registry does not model: the container's ulimits.
ADD_ULIMITS = {
    "op": "add",
    "resource": "QuotingTaskDefinition",
    "path": "ContainerDefinitions.0.Ulimits",
    "value": ULIMITS,
}
# 2. A resource next to a service: a queue, and its access for the service's task role.
QUEUE = {"Type": "AWS::SQS::Queue", "Properties": {"SqsManagedSseEnabled": True, "MessageRetentionPeriod": 1209600}}
QUEUE_ACCESS = {
    "Type": "AWS::IAM::Policy",
    "Properties": {
        "PolicyName": "quoting-jobs",
        "Roles": [{"Ref": "QuotingTaskRole"}],
        "PolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": {"Fn::GetAtt": ["QuotingJobs", "Arn"]}}
            ],
        },
    },
}
# 3. A patch to a platform resource: deletion protection on the ALB.
DELETION_PROTECTION = {
    "op": "add",
    "resource": "Alb",
    "path": "LoadBalancerAttributes.-",
    "value": {"Key": "deletion_protection.enabled", "Value": "true"},
}


def project_with(tmp_path: Path, quoting: dict[str, Any] | None = None, env: dict[str, Any] | None = None) -> Path:
    registry = copy.deepcopy(REGISTRY)
    registry["environments"]["dev"].update(env or {})
    services = {"quoting": {**QUOTING, **(quoting or {})}, "product-pricing": PRICING}
    return make_project(tmp_path, registry, services)


def synth_dev(project: Path) -> dict[str, dict[str, Any]]:
    result = run_cli("synth", "--env", "dev", project=project)
    assert result.code == 0, result.err
    assert [line for line in result.err.splitlines() if not line.startswith("note: ")] == []
    return {name: load(project / "build/dev" / f"{name}.yaml") for name in ("network", "compute")}


def errors(project: Path) -> list[str]:
    result = run_cli("synth", "--env", "dev", project=project)
    assert result.code == 1
    assert not (project / "build/dev").exists()
    return result.err.splitlines()


def test_the_three_documented_examples_land_in_the_templates_and_pass_cfn_lint(tmp_path: Path) -> None:
    project = project_with(
        tmp_path,
        quoting={
            "overrides": [ADD_ULIMITS],
            "extra_resources": {"QuotingJobs": QUEUE, "QuotingJobsAccess": QUEUE_ACCESS},
        },
        env={"overrides": {"network": [DELETION_PROTECTION]}},
    )
    templates = synth_dev(project)
    compute = templates["compute"]["Resources"]
    assert compute["QuotingTaskDefinition"]["Properties"]["ContainerDefinitions"][0]["Ulimits"] == ULIMITS
    assert compute["QuotingJobs"] == QUEUE
    assert compute["QuotingJobsAccess"] == QUEUE_ACCESS
    attributes = templates["network"]["Resources"]["Alb"]["Properties"]["LoadBalancerAttributes"]
    assert attributes[-1] == {"Key": "deletion_protection.enabled", "Value": "true"}
    for name in ("network", "compute"):
        assert lint_matches((project / "build/dev" / f"{name}.yaml").read_text()) == []
    # The prod environment has none of them: the registry's hatches are per environment.
    assert run_cli("synth", "--env", "prod", project=project).code == 0
    prod = load(project / "build/prod/network.yaml")["Resources"]["Alb"]["Properties"]["LoadBalancerAttributes"]
    assert {"Key": "deletion_protection.enabled", "Value": "true"} not in prod


def test_replace_and_remove_change_existing_properties(tmp_path: Path) -> None:
    ops = [
        {"op": "replace", "resource": "QuotingService", "path": "HealthCheckGracePeriodSeconds", "value": 120},
        {"op": "remove", "resource": "QuotingTaskDefinition", "path": "RuntimePlatform"},
    ]
    compute = synth_dev(project_with(tmp_path, quoting={"overrides": ops}))["compute"]["Resources"]
    assert compute["QuotingService"]["Properties"]["HealthCheckGracePeriodSeconds"] == 120
    assert "RuntimePlatform" not in compute["QuotingTaskDefinition"]["Properties"]


def test_a_per_environment_override_in_the_service_file_names_its_block(tmp_path: Path) -> None:
    bad = {"op": "remove", "resource": "QuotingService", "path": "Nope"}
    project = project_with(tmp_path, quoting={"environments": {"dev": {"overrides": [bad]}}})
    assert errors(project) == [
        "services/quoting/service.yaml: environments.dev.overrides[0].path: Nope does not exist in QuotingService "
        "(compute.yaml)",
        "error: 1 problem found; nothing was written",
    ]


def test_every_bad_patch_is_reported_with_its_file_and_field(tmp_path: Path) -> None:
    ops = [
        {"op": "replace", "resource": "QuotingTaskDefinitio", "path": "Cpu", "value": "512"},
        {"op": "remove", "resource": "QuotingTaskDefinition", "path": "ContainerDefinitions.3.Name"},
        {"op": "replace", "resource": "QuotingService", "path": "DesiredCount.x", "value": 1},
        {"op": "add", "resource": "QuotingService", "path": "LoadBalancers.x", "value": 1},
        {"op": "replace", "resource": "Cluster", "path": "ClusterName", "value": "x", "stage": "computer"},
    ]
    project = project_with(
        tmp_path,
        quoting={"overrides": ops, "extra_resources": {"QuotingTaskRole": QUEUE}},
        env={"overrides": {"api-gateway": [DELETION_PROTECTION]}},
    )
    assert errors(project) == [
        "services/quoting/service.yaml: extra_resources.QuotingTaskRole: QuotingTaskRole is already a generated "
        "resource of stack 'compute'",
        "    hint: choose another logical ID, or patch the generated resource with overrides:",
        "services/quoting/service.yaml: overrides[0].resource: no resource QuotingTaskDefinitio in any stack of "
        "environment 'dev'",
        "    hint: did you mean 'QuotingTaskDefinition'?",
        "services/quoting/service.yaml: overrides[1].path: ContainerDefinitions.3 does not exist in "
        "QuotingTaskDefinition (compute.yaml)",
        "services/quoting/service.yaml: overrides[2].path: DesiredCount is a value, not a mapping or a list, so "
        "DesiredCount.x does not exist in QuotingService (compute.yaml)",
        "services/quoting/service.yaml: overrides[3].path: LoadBalancers.x: 'x' is not an index of a list of 1 "
        "items in QuotingService (compute.yaml)",
        "services/quoting/service.yaml: overrides[4].stage: no stack 'computer' in environment 'dev' (stacks: api, "
        "api-stage, compute, network, observability)",
        "services/registry.yaml: environments.dev.overrides.api-gateway[0]: no stack 'api-gateway' in environment "
        "'dev' (stacks: api, api-stage, compute, network, observability)",
        "error: 7 problems found; nothing was written",
    ]


def test_cfn_lint_checks_what_the_hatches_touched(tmp_path: Path) -> None:
    ops = [ADD_ULIMITS, {"op": "replace", "resource": "QuotingTaskDefinition", "path": "Cpu", "value": "1024"}]
    queue = {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": "abc"}}
    project = project_with(tmp_path, quoting={"overrides": ops, "extra_resources": {"QuotingJobs": queue}})
    assert errors(project) == [
        "services/quoting/service.yaml: extra_resources.QuotingJobs: cfn-lint E3012 at "
        "QuotingJobs.Properties.VisibilityTimeout (compute.yaml): 'abc' is not of type 'integer'",
        "services/quoting/service.yaml: overrides[1]: cfn-lint E3047 at QuotingTaskDefinition.Properties "
        "(compute.yaml): Cpu '1024' is not compatible with memory '512'",
        "error: 2 problems found; nothing was written",
    ]


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        (
            {"op": "remove", "resource": "Cluster", "path": "ClusterName", "value": 1},
            "services/quoting/service.yaml: overrides[0]: remove takes no value",
        ),
        (
            {"op": "add", "resource": "Cluster", "path": "ClusterName"},
            "services/quoting/service.yaml: overrides[0]: add needs a value",
        ),
        (
            {"op": "move", "resource": "Cluster", "path": "ClusterName"},
            "services/quoting/service.yaml: overrides[0].op: must be one of 'add', 'replace' or 'remove' (got 'move')",
        ),
    ],
    ids=["remove-with-value", "add-without-value", "unknown-op"],
)
def test_a_malformed_patch_is_refused_up_front(tmp_path: Path, op: dict[str, Any], expected: str) -> None:
    result = run_cli("validate", project=project_with(tmp_path, quoting={"overrides": [op]}))
    assert result.code == 1
    assert result.err.splitlines()[0] == expected


def test_extra_resources_are_counted_in_the_stack_and_its_quota(tmp_path: Path) -> None:
    plain = run_cli("synth", "--env", "dev", "--format", "json", project=make_project(tmp_path / "plain"))
    project = project_with(tmp_path / "extra", quoting={"extra_resources": {"QuotingJobs": QUEUE}})
    extra = run_cli("synth", "--env", "dev", "--format", "json", project=project)

    def compute_resources(out: str) -> dict[str, int]:
        return {s["file"]: s["resources"] for s in json.loads(out)["stacks"] if s["file"].startswith("compute")}

    assert compute_resources(extra.out) == {"compute.yaml": compute_resources(plain.out)["compute.yaml"] + 1}
    # The layout counts a service's extra resources: two services with 300 each go to two compute stacks.
    queues = {f"Queue{i}": QUEUE for i in range(300)}
    services = {
        "quoting": {**QUOTING, "extra_resources": queues},
        "product-pricing": {**PRICING, "extra_resources": {f"Pricing{k}": v for k, v in queues.items()}},
    }
    sharded = run_cli(
        "synth", "--env", "dev", "--format", "json", project=make_project(tmp_path / "two", None, services)
    )
    assert compute_resources(sharded.out) == {"compute.yaml": 325, "compute-2.yaml": 310}
    # One template holds at most 500 resources: a service that cannot fit alone is refused, the quota named.
    many = {f"Queue{i}": QUEUE for i in range(500)}
    project = project_with(tmp_path / "many", quoting={"extra_resources": many})
    assert errors(project) == [
        "build/dev/compute-2.yaml: quota exceeded: resources per CloudFormation template is 500; compute-2.yaml "
        "would have 510",
        "error: 1 problem found; nothing was written",
    ]


def test_diff_shows_an_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = make_project(tmp_path / "project")
    assert run_cli("synth", "--env", "dev", project=project).code == 0
    shutil.copytree(project / "build/dev", tmp_path / "deployed")
    project_with(project, env={"overrides": {"network": [DELETION_PROTECTION]}})
    monkeypatch.chdir(tmp_path)
    result = run_cli("diff", "--env", "dev", "--against", "deployed", project=project)
    assert result.code == 0
    assert "  modify  Alb  AWS::ElasticLoadBalancingV2::LoadBalancer  replacement: False  scope: Properties" in (
        result.out.splitlines()
    )


def test_a_registry_patch_takes_its_stack_from_its_key(tmp_path: Path) -> None:
    patch = {**DELETION_PROTECTION, "stage": "compute"}
    result = run_cli("validate", project=project_with(tmp_path, env={"overrides": {"network": [patch]}}))
    assert result.code == 1
    assert result.err.splitlines() == [
        "services/registry.yaml: environments.dev.overrides.network[0].stage: the stack is the key here "
        "('network'); stage: is for the overrides of a service file",
        "    hint: remove stage:, or move the patch under the key of the stack to patch",
        "error: 1 problem found",
    ]


def test_an_environment_block_can_drop_an_extra_resource_of_the_service_file(tmp_path: Path) -> None:
    quoting = {
        "extra_resources": {"QuotingJobs": QUEUE},
        "environments": {"dev": {"extra_resources": {"QuotingJobs": None}}},
    }
    project = project_with(tmp_path, quoting=quoting)
    assert "QuotingJobs" not in synth_dev(project)["compute"]["Resources"]
    assert run_cli("synth", "--env", "prod", project=project).code == 0
    assert load(project / "build/prod/compute.yaml")["Resources"]["QuotingJobs"] == QUEUE


def test_a_build_with_escape_hatches_deploys_the_api_as_a_build_without_them(tmp_path: Path) -> None:
    # A build with patches is built whole in one process (every template patched before any is written); one
    # without is built by worker processes, which send back what their shards' outputs resolve to. The API
    # deployment's digest of those values comes out the same both ways when the patch touches nothing the
    # routes use. A Lambda service in the second compute shard makes a route read a worker's output.
    def deployment(project: Path) -> str:
        (project / "services/environments").mkdir(parents=True)
        placement = {"version": 1, "compute": {"rates": 2}, "albs": {}, "api_routes": {}}
        (project / "services/environments/dev.placement.json").write_text(json.dumps(placement))
        result = run_cli("synth", "--env", "dev", "--jobs", "2", project=project)
        assert result.code == 0, result.err
        api = load(project / "build/dev/api.yaml")
        assert api["Parameters"]["RatesFunctionArn"]["Type"] == "String"
        assert load(project / "build/dev/template.yaml")["Resources"]["ApiStack"]["Properties"]["Parameters"][
            "RatesFunctionArn"
        ] == {"Fn::GetAtt": ["ComputeStack2", "Outputs.RatesFunctionArn"]}
        resources = load(project / "build/dev/api-stage.yaml")["Resources"]
        (deployment,) = [lid for lid, r in resources.items() if r["Type"] == "AWS::ApiGateway::Deployment"]
        return deployment

    def project(folder: Path, **quoting: Any) -> Path:
        registry = copy.deepcopy(REGISTRY)
        registry["environments"]["dev"]["services"].append("rates")
        rates = {"kind": "lambda", "api": {"base_path": "/rates"}}
        services = {"quoting": {**QUOTING, **quoting}, "product-pricing": PRICING, "rates": rates}
        return make_project(folder, registry, services, {"functions/rates": "def handler(e, c):\n    return {}\n"})

    plain_build = deployment(project(tmp_path / "plain"))
    assert deployment(project(tmp_path / "patched", overrides=[ADD_ULIMITS])) == plain_build
