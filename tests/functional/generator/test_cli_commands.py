"""The commands as a user runs them: output, exit codes, files written."""

from __future__ import annotations

import json
from pathlib import Path

from support import make_project, run_cli
from synth_cases import CASES, copy_project


def example_project(tmp_path: Path) -> Path:
    return copy_project(CASES["example"].project, tmp_path)


def test_validate_summarises_each_environment(tmp_path: Path) -> None:
    result = run_cli("validate", project=example_project(tmp_path))
    assert result.code == 0
    assert result.out.splitlines() == [
        "dev: 3 services enabled (2 ecs, 1 lambda), network mode create",
        "prod: 3 services enabled (2 ecs, 1 lambda), network mode create",
        "registry is valid",
    ]


def test_services_lists_the_enabled_services(tmp_path: Path) -> None:
    result = run_cli("services", "--env", "dev", project=example_project(tmp_path))
    assert result.code == 0
    assert result.out.splitlines() == [
        "NAME             KIND    BASE PATH         EXPOSURE  AUTH        ALB PATHS                             PRIORITY",
        "platform-info    lambda  /platform         public    none        -                                     -",
        "product-pricing  ecs     /product-pricing  both      authorizer  /product-pricing, /product-pricing/*  20",
        "quoting          ecs     /quoting          public    authorizer  /quoting, /quoting/*                  10",
    ]


def test_services_as_json(tmp_path: Path) -> None:
    result = run_cli("services", "--env", "prod", "--format", "json", project=example_project(tmp_path))
    rows = json.loads(result.out)
    assert rows[2] == {
        "name": "quoting",
        "kind": "ecs",
        "base_path": "/quoting",
        "exposure": "public",
        "auth": "authorizer",
        "alb_paths": ["/quoting", "/quoting/*"],
        "priority": 10,
    }


def test_synth_prints_where_templates_went_and_usage_per_stack(tmp_path: Path) -> None:
    project = example_project(tmp_path)
    result = run_cli("synth", "--env", "dev", project=project)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "dev: wrote 5 templates to build/dev/"
    assert lines[1].split() == ["TEMPLATE", "STACK", "RESOURCES", "SIZE"]
    sizes = {p.name: p.stat().st_size for p in (project / "build/dev").glob("*.yaml")}
    assert lines[2].split() == [
        "template.yaml",
        "(root)",
        "4/500",
        "resources",
        f"{sizes['template.yaml']:,}/1,000,000",
        "bytes",
    ]
    assert lines[3].split()[:3] == ["network.yaml", "NetworkStack", "35/500"]
    assert lines[3].split()[4] == f"{sizes['network.yaml']:,}/1,000,000"
    assert lines[4].split()[:2] == ["compute.yaml", "ComputeStack"]
    assert lines[5].split()[:2] == ["api.yaml", "ApiStack"]
    assert lines[6].split()[:2] == ["api-stage.yaml", "ApiStageStack"]
    # Then every other quota at its most used scope.
    assert lines[7:9] == ["", "QUOTA                                         MOST USED            USED"]
    assert lines[9:] == [
        "resources per nested-stack operation          all stacks           121/2,500",
        "listener rules per Application Load Balancer  ALB 1                3/100",
        "target groups per Application Load Balancer   ALB 1                2/100",
        "resources per REST API                        public API           8/300",
        "authorizers per REST API                      public API           1/10",
        "VPC links per Region                          this environment     1/20",
        "inbound rules per security group              task security group  1/60",
    ]


def test_synth_json_summary(tmp_path: Path) -> None:
    project = example_project(tmp_path)
    result = run_cli("synth", "--env", "prod", "--format", "json", project=project)
    data = json.loads(result.out)
    assert data["environment"] == "prod"
    assert [s["file"] for s in data["stacks"]] == [
        "template.yaml", "network.yaml", "compute.yaml", "api.yaml", "api-stage.yaml"
    ]  # fmt: skip
    # dev has 35; prod adds a third AZ (2 subnets + 2 associations), two NAT gateways with EIPs and
    # two private route tables with their default routes.
    assert data["stacks"][1]["resources"] == 35 + 4 + 4 + 4
    assert data["warnings"] == []
    assert (data["wave"], data["waves"]) == (None, 1)
    assert data["placement"] == {"compute_shards": [1], "albs": 1, "route_shards": [1]}
    quotas = {(q["quota"], q["scope"]): (q["used"], q["limit"]) for q in data["quotas"]}
    assert quotas[("cfn_resources", "network.yaml")] == (47, 500)
    assert quotas[("alb_rules", "ALB 1")] == (3, 100)
    assert quotas[("api_resources", "public API")] == (8, 300)
    assert quotas[("api_resources", "private API")] == (2, 300)


def test_synth_out_writes_elsewhere_and_is_byte_for_byte_deterministic(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    assert run_cli("synth", "--env", "dev", "--out", str(tmp_path / "a"), project=project).code == 0
    assert run_cli("synth", "--env", "dev", "--out", str(tmp_path / "b"), project=project).code == 0
    a = {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()}
    b = {p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()}
    assert sorted(a) == ["api-stage.yaml", "api.yaml", "compute.yaml", "network.yaml", "template.yaml"]
    assert a == b
    assert not (project / "build").exists()


def test_schema_writes_both_schemas(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    result = run_cli("schema", project=project)
    assert result.out.splitlines() == [
        "wrote services/_schema/registry.schema.json",
        "wrote services/_schema/service.schema.json",
    ]
    schema = json.loads((project / "services/_schema/service.schema.json").read_text())
    assert schema["discriminator"]["propertyName"] == "kind"
    assert sorted(schema["discriminator"]["mapping"]) == ["ecs", "lambda"]


def test_project_dir_is_found_from_a_subfolder(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    project = make_project(tmp_path)
    monkeypatch.chdir(project / "services" / "quoting")
    result = run_cli("validate", "--env", "dev")
    assert result.code == 0


def test_outside_a_project_the_error_says_what_to_do(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    result = run_cli("validate")
    assert (result.code, result.err) == (
        1,
        "error: no services/registry.yaml in the current folder or any parent; run from the platform "
        "repository or pass --project-dir\n",
    )
