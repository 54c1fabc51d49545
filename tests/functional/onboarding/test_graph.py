"""template-gen graph: the architecture of an environment, from its validated spec and never from AWS."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from support import run_cli
from synth_cases import CASES, copy_project

from template_gen.commands.graph import environment_spec

ROOT = Path(__file__).resolve().parents[3]
HAS_DOT = shutil.which("dot") is not None

EXAMPLE_DEV = """\
flowchart LR
    client(["Client"])
    subgraph api_gateway["API Gateway"]
        public_api["Public REST API<br/>regional"]
        private_api["Private REST API<br/>VPC endpoint only"]
        validator{{"API key validator<br/>Lambda authorizer"}}
        vpc_link["VPC link"]
    end
    subgraph vpc["VPC 10.20.0.0/16"]
        nlb["Internal NLB"]
        alb["Internal ALB"]
        ecs_pricing_rules["pricing-rules<br/>ECS Fargate, internal"]
        ecs_product_pricing["product-pricing<br/>ECS Fargate"]
        ecs_quote_notifier["quote-notifier<br/>ECS worker (queue)"]
        ecs_quoting["quoting<br/>ECS Fargate"]
    end
    subgraph lambda["Lambda"]
        fn_platform_info("platform-info")
        fn_onboarding("onboarding<br/>consumer admin")
    end
    client --> public_api
    client -->|"through the VPC endpoint"| private_api
    public_api -->|"/product-pricing, /quoting"| vpc_link
    private_api -->|"/product-pricing"| vpc_link
    vpc_link --> nlb
    nlb --> alb
    alb -->|"/product-pricing (priority 20)"| ecs_product_pricing
    alb -->|"/quoting (priority 10)"| ecs_quoting
    public_api -->|"/platform (Lambda proxy)"| fn_platform_info
    public_api -->|"/admin (IAM auth)"| fn_onboarding
    validator -.->|"authorizes"| ecs_product_pricing
    validator -.->|"authorizes"| ecs_quoting
    ecs_quote_notifier -.->|"calls quoting:8080"| ecs_quoting
    ecs_quoting -.->|"calls pricing-rules:8080"| ecs_pricing_rules
"""


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(CASES["example"].project, tmp_path_factory.mktemp("graph"))


def test_example_dev_diagram_is_exactly_the_architecture(example: Path) -> None:
    result = run_cli("graph", "--env", "dev", project=example)
    assert (result.code, result.err) == (0, "")
    assert result.out == EXAMPLE_DEV


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_enabled_service_and_route_is_in_the_diagram(example: Path, env: str) -> None:
    spec = environment_spec(example, env)
    lines = run_cli("graph", "--env", env, project=example).out.splitlines()
    assert [s.name for s in spec.services] == [
        "platform-info", "pricing-rules", "product-pricing", "quote-notifier", "quoting"
    ]  # fmt: skip
    for svc in spec.ecs_services:
        node = "ecs_" + svc.name.replace("-", "_")
        if not svc.behind_alb:
            continue
        assert f'        {node}["{svc.name}<br/>ECS Fargate"]' in lines
        assert f'    alb -->|"{svc.api.base_path} (priority {svc.priority})"| {node}' in lines
        assert f'    validator -.->|"authorizes"| {node}' in lines
    assert '        ecs_pricing_rules["pricing-rules<br/>ECS Fargate, internal"]' in lines
    assert '        ecs_quote_notifier["quote-notifier<br/>ECS worker (queue)"]' in lines
    assert not any(line.startswith("    alb -->") and line.endswith("ecs_pricing_rules") for line in lines)
    assert '    ecs_quoting -.->|"calls pricing-rules:8080"| ecs_pricing_rules' in lines
    assert '    ecs_quote_notifier -.->|"calls quoting:8080"| ecs_quoting' in lines
    for svc in spec.lambda_services:
        node = "fn_" + svc.name.replace("-", "_")
        assert f'        {node}("{svc.name}")' in lines
        assert f'    public_api -->|"{svc.api.base_path} (Lambda proxy)"| {node}' in lines
    assert '    public_api -->|"/admin (IAM auth)"| fn_onboarding' in lines


def test_the_readme_shows_the_example_environments_current_diagram() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```mermaid\n(.*?)```", readme, flags=re.DOTALL)
    assert len(blocks) == 1, "README.md should hold exactly one Mermaid diagram"
    generated = run_cli("graph", "--env", "dev", project=ROOT).out
    assert blocks[0] == generated, "regenerate it with: template-gen graph --env dev"


def test_alb_direct_ingress_drops_the_nlb_and_uses_a_vpc_link_v2(tmp_path: Path) -> None:
    project = copy_project(CASES["existing-alb-direct"].project, tmp_path)
    lines = run_cli("graph", "--env", "shared", project=project).out.splitlines()
    assert '        vpc_link["VPC link v2"]' in lines
    assert '    subgraph vpc["VPC vpc-0a1b2c3d4e5f60718 (172.16.0.0/16)"]' in lines
    assert [line for line in lines if "vpc_link" in line and "-->" in line] == [
        '    public_api -->|"/orders/v1"| vpc_link',
        '    private_api -->|"/inventory, /orders/v1"| vpc_link',
        "    vpc_link --> alb",
    ]
    assert not any("nlb" in line for line in lines)


def test_a_lookup_network_is_read_from_the_committed_cache(tmp_path: Path) -> None:
    project = copy_project(CASES["lookup-networks"].project, tmp_path)
    result = run_cli("graph", "--env", "stage", project=project)
    assert (result.code, result.err) == (0, "")
    assert '    subgraph vpc["VPC vpc-0e0000000000000e1 (10.40.0.0/16)"]' in result.out.splitlines()


def test_without_a_lookup_cache_the_graph_says_to_synthesize_first(tmp_path: Path) -> None:
    project = copy_project(CASES["lookup-networks"].project, tmp_path)
    (project / "services/environments/stage.lookup.json").unlink()
    result = run_cli("graph", "--env", "stage", project=project)
    assert (result.code, result.out, result.err) == (
        1,
        "",
        "error: environment 'stage': the graph reads the network from the lookup cache "
        "(services/environments/stage.lookup.json), which is missing or was made for other network settings\n"
        "    hint: run `template-gen synth --env stage` with AWS credentials first, then commit the cache\n",
    )


def test_dot_output_names_the_stack_and_draws_the_same_edges(example: Path) -> None:
    lines = run_cli("graph", "--env", "dev", "--format", "dot", project=example).out.splitlines()
    assert lines[0] == 'digraph "acme-dev" {'
    assert '        ecs_quoting [label="quoting\\nECS Fargate", shape=box];' in lines
    assert '    alb -> ecs_quoting [label="/quoting (priority 10)"];' in lines
    assert '    validator -> ecs_quoting [label="authorizes", style=dashed];' in lines
    assert lines[-1] == "}"


def test_unknown_environment_is_refused(example: Path) -> None:
    result = run_cli("graph", "--env", "staging", project=example)
    assert (result.code, result.err) == (
        1,
        "services/registry.yaml: environments: no environment named 'staging' (defined: dev, prod)\n"
        "error: 1 problem found\n",
    )


def test_png_needs_an_output_file(example: Path) -> None:
    result = run_cli("graph", "--env", "dev", "--format", "png", project=example)
    assert (result.code, result.err) == (1, "error: --format png writes a binary image; pass --out FILE\n")


def test_svg_without_graphviz_names_the_missing_program(
    example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = run_cli("graph", "--env", "dev", "--format", "svg", project=example)
    assert (result.code, result.out, result.err) == (
        1,
        "",
        "error: --format svg needs Graphviz's `dot` program, which is not on PATH; install Graphviz "
        "(apt-get install graphviz, brew install graphviz) or use --format mermaid or --format dot\n",
    )


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_svg_is_rendered_by_graphviz(example: Path) -> None:
    result = run_cli("graph", "--env", "dev", "--format", "svg", project=example)
    assert result.code == 0, result.err
    assert result.out.startswith("<?xml")
    assert "<title>ecs_quoting</title>" in result.out
    assert "/quoting (priority 10)" in result.out


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_png_is_written_to_the_output_file(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "diagrams" / "dev.png"
    result = run_cli("graph", "--env", "dev", "--format", "png", "--out", str(out), project=example)
    assert (result.code, result.out) == (0, f"wrote {out}\n")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
