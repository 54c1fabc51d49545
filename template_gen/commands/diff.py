"""template-gen diff: compare the templates synth would write now with an earlier build (offline)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from template_gen.commands.synth import parse_image_tags
from template_gen.console import Console
from template_gen.guard import Verdict, assess
from template_gen.guard.cli import add_allow_argument, exit_code, show_verdict
from template_gen.registry.validate import load_registry
from template_gen.review import render
from template_gen.review.diff import diff_builds
from template_gen.review.model import EXIT_CHANGES, ChangeReport
from template_gen.review.sources import Earlier, earlier_build, rendered_build


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "diff",
        parents=parents,
        description="Compare the templates synth would write now with an earlier build, resource by resource, "
        "across every nested stack, and predict replacements from the resource schemas. Needs no AWS account.",
        epilog="examples:\n  template-gen diff --env dev --against HEAD~1\n"
        "  template-gen diff --env prod --against build-old/prod --format json --exit-code",
    )
    p.add_argument("--env", required=True, metavar="ENV", help="environment to compare")
    p.add_argument(
        "--against",
        required=True,
        metavar="DIR|REV",
        help="an earlier build folder (a copy of build/<env>/) or a git revision (HEAD~1, a tag, a branch)",
    )
    p.add_argument("--image-tag", action="append", default=[], metavar="SERVICE=TAG", help="as for synth (repeatable)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.add_argument(
        "--exit-code",
        action="store_true",
        help=f"exit with {EXIT_CHANGES} when anything changes, 0 when nothing does (errors stay 1 and 2)",
    )
    add_allow_argument(p)
    p.set_defaults(run=run)


@dataclass(frozen=True)
class DiffResult:
    environment: str
    earlier: Earlier
    report: ChangeReport
    verdict: Verdict


def do_diff(
    project_dir: Path,
    env_name: str,
    against: str,
    image_tags: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    allow: Sequence[str] = (),
) -> DiffResult:
    valid = load_registry(project_dir, [env_name])
    new = rendered_build(valid, env_name, image_tags)
    earlier = earlier_build(project_dir, env_name, against, cwd)
    stacks, warnings = diff_builds(earlier.build, new, valid.registry.region_of(env_name))
    heading = f"{env_name}: the templates synth would write now, compared with {earlier.description}"
    report = ChangeReport(stacks, heading, warnings)
    return DiffResult(env_name, earlier, report, assess(report.stacks, allow))


def run(args: argparse.Namespace, console: Console) -> int:
    tags = parse_image_tags(args.image_tag)
    result = do_diff(args.project_dir, args.env, args.against, tags, allow=args.allow_data_loss)
    report = result.report
    for warning in report.warnings:
        console.warning(warning)
    if args.format == "json":
        earlier = result.earlier
        against = {"kind": earlier.kind, "label": earlier.label, "commit": earlier.commit or None}
        document = render.to_json(report, environment=result.environment, against=against)
        console.print(json.dumps(document | {"data_loss": result.verdict.to_json()}, indent=2))
    else:
        for line in render.text_lines(report, console):
            console.print(line)
    show_verdict(console, result.verdict, args.format == "text")
    return exit_code(result.verdict, EXIT_CHANGES if args.exit_code and report.changed else 0)
