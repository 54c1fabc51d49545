"""The commands as a user runs them: output, exit codes, files written."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from support import QUOTING, make_project, run_cli, write_yaml
from synth_cases import CASES, copy_project


def example_project(tmp_path: Path) -> Path:
    return copy_project(CASES["example"].project, tmp_path)


def test_validate_summarises_each_environment(tmp_path: Path) -> None:
    result = run_cli("validate", project=example_project(tmp_path))
    assert result.code == 0
    assert result.out.splitlines() == [
        "dev: 5 services enabled (3 ecs, 1 worker, 1 lambda), network mode create",
        "prod: 5 services enabled (3 ecs, 1 worker, 1 lambda), network mode create",
        "registry is valid",
    ]


def test_services_lists_the_enabled_services(tmp_path: Path) -> None:
    result = run_cli("services", "--env", "dev", project=example_project(tmp_path))
    assert result.code == 0
    assert result.out.splitlines() == [
        "NAME             KIND    PATHS             EXPOSURE  AUTH        ALB PATHS                             PRIORITY",
        "platform-info    lambda  /platform         public    none        -                                     -",
        "pricing-rules    ecs     -                 none      none        -                                     -",
        "product-pricing  ecs     /product-pricing  both      authorizer  /product-pricing, /product-pricing/*  20",
        "quote-notifier   worker  -                 none      none        -                                     -",
        "quoting          ecs     /quoting          public    authorizer  /quoting, /quoting/*                  10",
    ]


def test_services_as_json(tmp_path: Path) -> None:
    result = run_cli("services", "--env", "prod", "--format", "json", project=example_project(tmp_path))
    rows = json.loads(result.out)
    assert rows[4] == {
        "name": "quoting",
        "kind": "ecs",
        "base_path": "/quoting",
        "routes": [],
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
    assert lines[0] == "dev: wrote 6 templates to build/dev/"
    assert lines[1].split() == ["TEMPLATE", "STACK", "RESOURCES", "SIZE"]
    sizes = {p.name: p.stat().st_size for p in (project / "build/dev").glob("*.yaml")}
    assert lines[2].split() == [
        "template.yaml",
        "(root)",
        "5/500",
        "resources",
        f"{sizes['template.yaml']:,}/1,000,000",
        "bytes",
    ]
    assert lines[3].split()[:3] == ["network.yaml", "NetworkStack", "34/500"]
    assert lines[3].split()[4] == f"{sizes['network.yaml']:,}/1,000,000"
    assert lines[4].split()[:2] == ["compute.yaml", "ComputeStack"]
    assert lines[5].split()[:2] == ["api.yaml", "ApiStack"]
    assert lines[6].split()[:2] == ["api-stage.yaml", "ApiStageStack"]
    assert lines[7].split()[:3] == ["observability.yaml", "ObservabilityStack", "49/500"]
    # Then every other quota at its most used scope.
    assert lines[8:10] == ["", "QUOTA                                         MOST USED                  USED"]
    assert lines[10:] == [
        "resources per nested-stack operation          all stacks                 199/2,500",
        "listener rules per Application Load Balancer  ALB 1                      3/100",
        "target groups per Application Load Balancer   ALB 1                      2/100",
        "targets per Application Load Balancer         ALB 1                      14/1,000",
        "resources per REST API                        public API                 8/300",
        "authorizers per REST API                      public API                 1/10",
        "VPC links per Region                          this environment           1/20",
        "inbound rules per security group              security group of quoting  2/60",
    ]


def test_synth_json_summary(tmp_path: Path) -> None:
    project = example_project(tmp_path)
    result = run_cli("synth", "--env", "prod", "--format", "json", project=project)
    data = json.loads(result.out)
    assert data["environment"] == "prod"
    assert [s["file"] for s in data["stacks"]] == [
        "template.yaml", "network.yaml", "compute.yaml", "api.yaml", "api-stage.yaml", "observability.yaml"
    ]  # fmt: skip
    # dev has 34; prod adds a third AZ (2 subnets + 2 associations), two NAT gateways with EIPs and
    # two private route tables with their default routes.
    assert data["stacks"][1]["resources"] == 34 + 4 + 4 + 4
    assert data["warnings"] == []
    assert (data["wave"], data["waves"]) == (None, 1)
    assert data["placement"] == {
        "compute_shards": [1], "albs": 1, "route_shards": [1], "file": "services/environments/prod.placement.json",
        "written": False, "changes": [], "removed": [],
    }  # fmt: skip
    quotas = {(q["quota"], q["scope"]): (q["used"], q["limit"]) for q in data["quotas"]}
    assert quotas[("cfn_resources", "network.yaml")] == (46, 500)
    assert quotas[("alb_rules", "ALB 1")] == (3, 100)  # the internal service and the worker have no rule
    assert quotas[("api_resources", "public API")] == (8, 300)
    assert quotas[("api_resources", "private API")] == (2, 300)


def test_synth_out_writes_elsewhere_and_is_byte_for_byte_deterministic(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    first = run_cli("synth", "--env", "dev", "--out", str(tmp_path / "a"), project=project)
    assert first.code == 0
    assert run_cli("synth", "--env", "dev", "--out", str(tmp_path / "b"), project=project).code == 0

    def files(folder: Path) -> dict[str, bytes]:
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    a, b = files(tmp_path / "a"), files(tmp_path / "b")
    assert sorted(n for n in a if "/" not in n) == [
        "api-stage.yaml", "api.yaml", "compute.yaml", "network.yaml", "observability.yaml", "template.yaml",
    ]  # fmt: skip
    assert sorted(n for n in a if "/" in n) == ["functions/api_key_validator/app.py", "functions/onboarding/app.py"]
    assert a == b  # paths inside the templates are relative to the build folder itself
    # AND the project is untouched: no build/, and no placement file (a build elsewhere never changes it)
    assert not (project / "build").exists()
    assert not (project / "services/environments").exists()
    assert first.err == (
        "note: services/environments/dev.placement.json left unchanged: the build went to --out elsewhere; it "
        "places compute shard 1: product-pricing, quoting; ALB 1: product-pricing, quoting; API route shard 1: "
        "/admin, /product-pricing, /quoting; ECR repositories the stack creates: product-pricing, quoting; API "
        "resource IDs recorded; pass --update-placement to store that\n"
    )


def test_synth_out_elsewhere_stores_the_placement_only_when_asked(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    result = run_cli("synth", "--env", "dev", "--out", str(tmp_path / "a"), "--update-placement", project=project)
    assert result.code == 0
    assert result.err == (
        "note: updated services/environments/dev.placement.json (compute shard 1: product-pricing, quoting; "
        "ALB 1: product-pricing, quoting; API route shard 1: /admin, /product-pricing, /quoting; ECR repositories the "
        "stack creates: product-pricing, quoting; API resource IDs recorded); commit it: it keeps services in their "
        "stacks\n"
    )
    placed = json.loads((project / "services/environments/dev.placement.json").read_text())
    assert placed["compute"] == {"product-pricing": 1, "quoting": 1}
    # A second synth changes nothing and says nothing about placement.
    again = run_cli("synth", "--env", "dev", project=project)
    assert (again.code, again.err) == (0, "")


def test_a_failed_write_leaves_build_and_placement_as_they_were(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from template_gen import pipeline

    project = make_project(tmp_path)
    assert run_cli("synth", "--env", "dev", project=project).code == 0
    placement = project / "services/environments/dev.placement.json"
    before_placement = placement.read_text()
    before_root = (project / "build/dev/template.yaml").read_text()
    # GIVEN a new service, so both the build and the placement change
    billing = {**QUOTING, "api": {"base_path": "/billing"}, "alb": {"priority": 30}}
    write_yaml(project / "services/billing/service.yaml", billing)
    registry = yaml.safe_load((project / "services/registry.yaml").read_text())
    registry["environments"]["dev"]["services"].append("billing")
    write_yaml(project / "services/registry.yaml", registry)
    # WHEN replacing the placement file fails, after the build folder was swapped in
    real_replace = pipeline.os.replace

    def failing_replace(src: object, dst: object) -> None:
        if str(dst).endswith(".placement.json"):
            raise OSError("disk full")
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline.os, "replace", failing_replace)
    result = run_cli("synth", "--env", "dev", project=project)
    # THEN both are exactly as they were, and nothing is left behind
    assert result.code == 2
    assert placement.read_text() == before_placement
    assert (project / "build/dev/template.yaml").read_text() == before_root
    assert sorted(p.name for p in (project / "build").iterdir()) == ["dev"]
    assert sorted(p.name for p in placement.parent.iterdir()) == ["dev.placement.json"]


def test_schema_writes_both_schemas(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    result = run_cli("schema", project=project)
    assert result.out.splitlines() == [
        "wrote services/_schema/registry.schema.json",
        "wrote services/_schema/service.schema.json",
    ]
    schema = json.loads((project / "services/_schema/service.schema.json").read_text())
    assert schema["discriminator"]["propertyName"] == "kind"
    assert sorted(schema["discriminator"]["mapping"]) == ["ecs", "lambda", "worker"]


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
