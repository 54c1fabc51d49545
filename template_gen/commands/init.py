"""template-gen init DIR: create a new platform repository that synthesizes as it is."""

from __future__ import annotations

import argparse
from pathlib import Path

from template_gen.console import Console
from template_gen.scaffold.project import DEFAULT_REGION, EXAMPLE_SERVICE, InitResult, init


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "init",
        help="create a new platform repository: registry (dev, prod), an example service, samconfig.toml, Makefile",
        description="Create a new platform repository in DIR (new or empty): services/registry.yaml with dev and "
        "prod, an example service, samconfig.toml, a Makefile with the two commands, .gitignore, the JSON Schemas "
        "and a README. It synthesizes and passes cfn-lint as it is.",
        epilog="example:\n  template-gen init my-platform --platform acme --region eu-west-1",
    )
    p.add_argument("dir", type=Path, metavar="DIR", help="new or empty folder")
    p.add_argument("--platform", metavar="NAME", help="platform name (default: the folder's name)")
    p.add_argument("--region", metavar="R", help=f"default AWS Region (default: {DEFAULT_REGION})")
    p.set_defaults(run=run, needs_project=False)


def do_init(target: Path, platform: str | None = None, region: str | None = None) -> InitResult:
    return init(target, platform, region)


def run(args: argparse.Namespace, console: Console) -> int:
    result = do_init(args.dir, args.platform, args.region)
    for rel in result.written:
        console.print(f"wrote {rel}")
    console.success(f"created platform '{result.platform}' ({result.region}) in {args.dir}")
    console.print(
        f"next: cd {args.dir} && template-gen synth --env dev   (the example service is services/{EXAMPLE_SERVICE})"
    )
    return 0
