"""template-gen graph: an environment's architecture as Mermaid, DOT, SVG or PNG (no AWS calls)."""

from __future__ import annotations

import argparse
from pathlib import Path

from template_gen import graph, lookup
from template_gen.console import Console
from template_gen.errors import UsageError
from template_gen.pipeline import load_registry, resolve
from template_gen.spec import EnvironmentSpec


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "graph",
        parents=parents,
        description="Draw an environment's architecture: APIs, load balancers, services and who calls whom. "
        "Mermaid and DOT are text; SVG and PNG need Graphviz (`dot`). Makes no AWS calls.",
        epilog="examples:\n  template-gen graph --env dev\n  template-gen graph --env prod --format svg --out prod.svg",
    )
    p.add_argument("--env", required=True, metavar="ENV", help="environment to draw")
    p.add_argument("--format", choices=graph.FORMATS, default="mermaid", help="output format (default: mermaid)")
    p.add_argument("--out", type=Path, metavar="FILE", help="write to FILE instead of standard output")
    p.set_defaults(run=run)


def environment_spec(project_dir: Path, env_name: str) -> EnvironmentSpec:
    """The environment's validated spec; lookup/default networks come from the committed lookup cache."""
    valid = load_registry(project_dir, [env_name])

    rel = lookup.cache_path(project_dir, env_name).relative_to(project_dir).as_posix()
    offline = lookup.offline(
        f"environment '{env_name}': the graph reads the network from the lookup cache ({rel}), which is "
        f"missing or was made for other network settings\n    hint: run `template-gen synth --env {env_name}` "
        "with AWS credentials first, then commit the cache"
    )
    return resolve(valid, env_name, ec2_client_factory=offline).spec


def do_graph(project_dir: Path, env_name: str, fmt: str = "mermaid") -> str | bytes:
    return graph.render(environment_spec(project_dir, env_name), fmt)


def run(args: argparse.Namespace, console: Console) -> int:
    if args.format == "png" and args.out is None:
        raise UsageError("--format png writes a binary image; pass --out FILE")
    output = do_graph(args.project_dir, args.env, args.format)
    if args.out is None:
        assert isinstance(output, str) or args.format == "svg"
        console.out.write(output if isinstance(output, str) else output.decode("utf-8"))
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(output, bytes):
        args.out.write_bytes(output)
    else:
        args.out.write_text(output, encoding="utf-8")
    console.success(f"wrote {args.out}")
    return 0
