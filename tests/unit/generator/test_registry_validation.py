"""Every way a registry can be wrong: the exact problem lines, exit code 1, and nothing written."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support import PRICING, QUOTING, REGISTRY, make_project, run_cli, with_summary

from template_gen.pipeline import load_registry

Services = dict[str, Any]


def q(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(QUOTING), **changes}


def p(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(PRICING), **changes}


def registry(edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = copy.deepcopy(REGISTRY)
    edit(data)
    return data


CASES: list[tuple[str, dict[str, Any] | str | None, Services | None, list[str]]] = [
    (
        "yaml_syntax_error_names_the_line",
        None,
        {"quoting": "kind: ecs\nport: [1,\n  cpu: 2\n", "product-pricing": PRICING},
        ["services/quoting/service.yaml: line 4, column 1: could not parse YAML: did not find expected ',' or ']'"],
    ),
    (
        "duplicate_yaml_key",
        None,
        {"quoting": "kind: ecs\nport: 1\nport: 2\n", "product-pricing": PRICING},
        [
            "services/quoting/service.yaml: line 3, column 1: could not parse YAML: duplicate key 'port' "
            "(first defined on line 2)"
        ],
    ),
    (
        "empty_file",
        None,
        {"quoting": "", "product-pricing": PRICING},
        ["services/quoting/service.yaml: the file is empty"],
    ),
    (
        "top_level_list",
        None,
        {"quoting": "- kind: ecs\n", "product-pricing": PRICING},
        ["services/quoting/service.yaml: expected a mapping at the top level, got list"],
    ),
    (
        "unknown_key_wrong_type_and_missing_field_all_at_once",
        None,
        {"quoting": q(prot=1, cpu="lots", api={}), "product-pricing": p()},
        [
            "services/quoting/service.yaml: api.base_path: required field is missing",
            "services/quoting/service.yaml: cpu: expected a whole number, got 'lots'",
            "services/quoting/service.yaml: prot: unknown field 'prot'",
            "    hint: did you mean 'port'?",
        ],
    ),
    (
        "duplicate_listener_priority",
        None,
        {"quoting": q(), "product-pricing": p(alb={"priority": 10})},
        [
            "services/quoting/service.yaml: alb.priority: 10 is already used by services/product-pricing/service.yaml",
            "    hint: every ECS service needs its own listener rule priority",
        ],
    ),
    (
        "priority_and_port_out_of_range",
        None,
        {"quoting": q(port=70000, alb={"priority": 50000}), "product-pricing": p(port=0)},
        [
            "services/product-pricing/service.yaml: port: 0 is outside the allowed range 1..65535",
            "services/quoting/service.yaml: alb.priority: 50000 is outside the allowed range 1..49999",
            "services/quoting/service.yaml: port: 70000 is outside the allowed range 1..65535",
        ],
    ),
    (
        "overlapping_alb_path_patterns",
        None,
        {"quoting": q(), "product-pricing": p(alb={"priority": 20, "path_patterns": ["/quot*"]})},
        [
            "services/product-pricing/service.yaml: alb.path_patterns[0]: ALB path pattern '/quot*' overlaps "
            "'/quoting' of services/quoting/service.yaml (both match '/quoting')",
            "    hint: give each service its own path prefix; the ALB would send these requests to whichever rule "
            "has the lower priority",
            "services/product-pricing/service.yaml: api.base_path: '/product-pricing' is not reached by any ALB "
            "path pattern of this service ('/quot*')",
            "    hint: add a pattern to alb.path_patterns, or remove alb.path_patterns to use the default (every route)",
        ],
    ),
    (
        "duplicate_api_base_path",
        None,
        {
            "quoting": q(),
            "product-pricing": p(api={"base_path": "/quoting"}, alb={"priority": 20, "path_patterns": ["/pp"]}),
        },
        [
            "services/product-pricing/service.yaml: api.base_path: '/quoting' is not reached by any ALB path "
            "pattern of this service ('/pp')",
            "    hint: add a pattern to alb.path_patterns, or remove alb.path_patterns to use the default (every route)",
            "services/quoting/service.yaml: api.base_path: '/quoting' is already used on the public API by "
            "services/product-pricing/service.yaml",
        ],
    ),
    (
        "base_path_without_leading_slash",
        None,
        {"quoting": q(api={"base_path": "quoting"}), "product-pricing": p()},
        ["services/quoting/service.yaml: api.base_path: 'quoting' must start with '/'"],
    ),
    (
        "invalid_fargate_cpu_and_memory",
        None,
        {"quoting": q(cpu=256, memory=4096), "product-pricing": p(cpu=300)},
        [
            "services/product-pricing/service.yaml: cpu: 300 is not a Fargate CPU value "
            "(allowed: 256, 512, 1024, 2048, 4096, 8192, 16384)",
            "services/quoting/service.yaml: memory: 4096 MiB is not valid with cpu 256; Fargate allows "
            "512, 1024, 2048 MiB for 256 CPU units",
        ],
    ),
    (
        "service_name_breaking_naming_rules",
        None,
        {"quoting": q(), "product-pricing": p(), "Bad_Name": q(alb={"priority": 30}, api={"base_path": "/x"})},
        [
            "services/Bad_Name/service.yaml: folder name 'Bad_Name' is not a valid service name: use lowercase "
            "letters, digits and single hyphens, starting with a letter and not ending with a hyphen"
        ],
    ),
    (
        "service_name_too_long",
        None,
        {"quoting": q(), "product-pricing": p(), "a" * 33: q(alb={"priority": 30}, api={"base_path": "/x"})},
        [
            f"services/{'a' * 33}/service.yaml: folder name '{'a' * 33}' is 33 characters long; service names "
            "are at most 32 so that derived names (target groups, functions, ECR repositories) fit AWS limits"
        ],
    ),
    (
        "name_field_not_matching_folder",
        None,
        {"quoting": q(name="quote"), "product-pricing": p()},
        [
            "services/quoting/service.yaml: name: 'quote' does not match the folder name 'quoting'",
            "    hint: rename the folder or set name: quoting",
        ],
    ),
    (
        "service_enabled_but_not_defined",
        registry(lambda r: r["environments"]["dev"]["services"].append("quotin")),
        None,
        [
            "services/registry.yaml: environments.dev.services[2]: service 'quotin' is enabled but not defined "
            "(no services/quotin/service.yaml)",
            "    hint: did you mean 'quoting'?",
        ],
    ),
    (
        "service_listed_twice",
        registry(lambda r: r["environments"]["dev"]["services"].append("quoting")),
        None,
        ["services/registry.yaml: environments.dev.services[2]: service 'quoting' is listed twice"],
    ),
    (
        "unknown_service_kind",
        None,
        {"quoting": q(kind="container"), "product-pricing": p()},
        ["services/quoting/service.yaml: kind: must be one of 'ecs', 'worker', 'lambda' (got 'container')"],
    ),
    (
        "unknown_network_mode",
        registry(lambda r: r["environments"]["dev"]["network"].update(mode="new")),
        None,
        [
            "services/registry.yaml: environments.dev.network.mode: must be one of 'create', 'existing', "
            "'lookup', 'default' (got 'new')"
        ],
    ),
    (
        "override_is_blamed_for_the_problem_it_causes",
        None,
        {"quoting": q(environments={"dev": {"memory": 4096}, "prd": {}}), "product-pricing": p()},
        [
            "services/quoting/service.yaml: environments.dev.memory: 4096 MiB is not valid with cpu 256; "
            "Fargate allows 512, 1024, 2048 MiB for 256 CPU units",
            "services/quoting/service.yaml: environments.prd: unknown environment (defined in "
            "services/registry.yaml: dev, prod)",
            "    hint: did you mean 'prod'?",
        ],
    ),
    (
        "override_cannot_change_kind",
        None,
        {"quoting": q(environments={"dev": {"kind": "lambda"}}), "product-pricing": p()},
        ["services/quoting/service.yaml: environments.dev.kind: cannot be changed per environment"],
    ),
    (
        "autoscaling_min_above_max_and_desired_below_min",
        None,
        {
            "quoting": q(autoscaling={"min": 3, "max": 2, "cpu_target": 50}),
            "product-pricing": p(desired_count=1, autoscaling={"min": 2, "max": 4, "cpu_target": 50}),
        },
        [
            "services/product-pricing/service.yaml: desired_count: 1 is below autoscaling.min (2)",
            "    hint: desired_count is the starting task count; set it between autoscaling.min and autoscaling.max",
            "services/quoting/service.yaml: autoscaling.min: 3 is greater than autoscaling.max (2)",
        ],
    ),
    (
        "health_check_path_and_unknown_capacity_provider",
        None,
        {
            "quoting": q(health_check={"path": "health"}),
            "product-pricing": p(capacity_provider_strategy=[{"provider": "FARGATE_SPOTTY"}]),
        },
        [
            "services/product-pricing/service.yaml: capacity_provider_strategy[0].provider: must be one of "
            "'FARGATE' or 'FARGATE_SPOT' (got 'FARGATE_SPOTTY')",
            "services/quoting/service.yaml: health_check.path: 'health' must start with '/'",
        ],
    ),
    (
        "invalid_vpc_cidr",
        registry(lambda r: r["environments"]["dev"]["network"].update(cidr="10.20.0.1/16")),
        None,
        [
            "services/registry.yaml: environments.dev.network.cidr: '10.20.0.1/16' is not a valid IPv4 network "
            "(10.20.0.1/16 has host bits set)"
        ],
    ),
    (
        "existing_network_needs_two_subnets",
        registry(
            lambda r: r["environments"]["dev"].update(
                network={
                    "mode": "existing",
                    "vpc_id": "vpc-0123456789abcdef0",
                    "vpc_cidr": "172.31.0.0/16",
                    "private_subnet_ids": ["subnet-0123456789abcdef0"],
                }
            )
        ),
        None,
        [
            "services/registry.yaml: environments.dev.network.private_subnet_ids: needs at least two subnets in "
            "different Availability Zones (load balancers require two)"
        ],
    ),
    (
        "bad_log_retention",
        registry(lambda r: r["environments"]["dev"].update(log_retention_days=10)),
        None,
        [
            "services/registry.yaml: environments.dev.log_retention_days: 10 is not a CloudWatch Logs retention "
            "period (allowed: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, "
            "2557, 2922, 3288, 3653)"
        ],
    ),
    (
        "bad_default_is_reported_once_at_defaults",
        registry(lambda r: r.update(defaults={"tracing": "maybe"})),
        None,
        ["services/registry.yaml: defaults.tracing: expected true or false, got 'maybe'"],
    ),
    (
        "environment_field_missing_on_both_sides_is_the_environments",
        registry(lambda r: r["environments"]["dev"].update(api={"cors": {"allow_credentials": True}})),
        None,
        ["services/registry.yaml: environments.dev.api.cors.allow_origins: required field is missing"],
    ),
    (
        "platform_name_too_long",
        registry(lambda r: r.update(platform="a-very-long-platform-name")),
        None,
        [
            "services/registry.yaml: platform: 'a-very-long-platform-name' is 25 characters long; platform "
            "names are at most 16"
        ],
    ),
]


@pytest.mark.parametrize(("registry_data", "services", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_registry_problem_is_reported_exactly(
    tmp_path: Path, registry_data: Any, services: Services | None, expected: list[str]
) -> None:
    project = make_project(tmp_path, registry_data, services)
    result = run_cli("validate", "--env", "dev", project=project)
    assert result.code == 1
    assert result.err.splitlines() == with_summary(expected)
    assert result.out == ""


def test_an_environment_may_complete_a_setting_from_defaults(tmp_path: Path) -> None:
    # Mappings merge key by key: allow_origins from defaults, allow_credentials from the environment.
    data = registry(lambda r: r.update(defaults={"api": {"cors": {"allow_origins": ["https://app.example.com"]}}}))
    data["environments"]["dev"]["api"] = {"cors": {"allow_credentials": True}}
    cors = load_registry(make_project(tmp_path, data), ["dev"]).environments["dev"].model.api.cors
    assert cors is not None
    assert (cors.allow_origins, cors.allow_credentials) == (["https://app.example.com"], True)


def test_unknown_environment_is_a_user_error(tmp_path: Path) -> None:
    result = run_cli("synth", "--env", "stagging", project=make_project(tmp_path))
    assert result.code == 1
    assert result.err.splitlines() == [
        "services/registry.yaml: environments: no environment named 'stagging' (defined: dev, prod)",
        "error: 1 problem found; nothing was written",
    ]


def test_missing_registry_file_is_reported(tmp_path: Path) -> None:
    result = run_cli("validate", "--project-dir", str(tmp_path))
    assert result.code == 1
    assert result.err == f"error: --project-dir {tmp_path}: no services/registry.yaml there\n"


def test_every_problem_of_every_file_is_reported_in_one_run(tmp_path: Path) -> None:
    project = make_project(
        tmp_path,
        registry(lambda r: r["environments"]["dev"]["services"].append("billing")),
        {"quoting": q(port="http"), "product-pricing": p(cpu=300)},
    )
    result = run_cli("validate", project=project)
    assert result.code == 1
    assert result.err.endswith("error: 3 problems found\n")  # validate writes nothing, so it does not say so
    assert "services/quoting/service.yaml: port: expected a whole number, got 'http'" in result.err
    assert "services/product-pricing/service.yaml: cpu: 300 is not a Fargate CPU value" in result.err
    assert "environments.dev.services[2]: service 'billing' is enabled but not defined" in result.err


def test_failed_synth_leaves_the_previous_build_untouched(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    assert run_cli("synth", "--env", "dev", project=project).code == 0
    build = project / "build" / "dev"

    def snapshot() -> dict[str, tuple[bytes, int]]:
        return {
            str(f.relative_to(build)): (f.read_bytes(), f.stat().st_mtime_ns) for f in build.rglob("*") if f.is_file()
        }

    before = snapshot()
    # WHEN the registry is broken and synth runs again
    (project / "services" / "quoting" / "service.yaml").write_text("kind: ecs\nport: 99999\n")
    result = run_cli("synth", "--env", "dev", project=project)
    # THEN it fails and build/dev is exactly as it was, with no staging folders left behind
    assert result.code == 1
    assert snapshot() == before
    assert sorted(f.name for f in (project / "build").iterdir()) == ["dev"]


def test_bad_cli_flag_is_a_user_error(tmp_path: Path) -> None:
    result = run_cli("synth", "--env", "dev", "--image-tag", "quoting", project=make_project(tmp_path))
    assert (result.code, result.err) == (
        1,
        "error: --image-tag quoting: expected SERVICE=TAG, e.g. --image-tag quoting=1.4.2\n",
    )
    result = run_cli("synth", "--env", "dev", "--image-tag", "billing=1.0", project=make_project(tmp_path))
    assert (result.code, result.err) == (
        1,
        "error: --image-tag billing=...: 'billing' is not a service of environment 'dev'\n",
    )
    result = run_cli("synth", "--bogus", project=make_project(tmp_path))
    assert result.code == 1
    assert result.err.startswith("error: the following arguments are required: --env")
