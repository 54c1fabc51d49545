"""template-gen synth: registry -> build/<env>/*.yaml (no AWS account needed)."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from template_gen import deployed_images, lookup, parallel, quota_report
from template_gen.console import Console, shown_path, styled, usage_style
from template_gen.errors import UsageError
from template_gen.pipeline import Synthesis, synthesize
from template_gen.quotas import CFN_BYTES, CFN_RESOURCES
from template_gen.stacks import ingress_tls

_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "synth",
        parents=parents,
        description="Generate the root template and nested stacks of an environment into build/<env>/, "
        "with a summary of every stack's size against the CloudFormation quotas. Needs no AWS account "
        "(lookup networks come from the committed lookup cache).",
        epilog="examples:\n  template-gen synth --env dev\n"
        "  template-gen synth --env prod --image-tag quoting=1.4.2 --format json",
    )
    p.add_argument("--env", required=True, metavar="ENV", help="environment to generate")
    p.add_argument("--out", type=Path, metavar="DIR", help="folder for the templates (default: build/<env>)")
    p.add_argument("--refresh-lookups", action="store_true", help="ask AWS again for lookup/default networks")
    p.add_argument(
        "--image-tag", action="append", default=[], metavar="SERVICE=TAG", help="image tag to deploy (repeatable)"
    )
    p.add_argument(
        "--wave", type=int, metavar="N", help="first deployment of a large environment: only waves 1..N (see docs)"
    )
    p.add_argument(
        "--update-placement",
        action="store_true",
        help="with --out elsewhere: also store the placement in services/environments/<env>.placement.json",
    )
    p.add_argument("--format", choices=("text", "json"), default="text", help="summary format (default: text)")
    p.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="render stacks in up to N processes (default: the CPU count; 1: in this process only); "
        "the templates are the same for every N",
    )
    p.set_defaults(run=run)


def parse_image_tags(values: Sequence[str]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for value in values:
        name, sep, tag = value.partition("=")
        if not sep or not name or not tag:
            raise UsageError(f"--image-tag {value}: expected SERVICE=TAG, e.g. --image-tag quoting=1.4.2")
        if not _TAG.match(tag):
            raise UsageError(f"--image-tag {value}: '{tag}' is not a valid image tag")
        if name in tags:
            raise UsageError(f"--image-tag: '{name}' is given twice")
        tags[name] = tag
    return tags


def summary(result: Synthesis) -> dict[str, Any]:
    return {
        "environment": result.environment,
        "out_dir": str(result.out_dir),
        "stacks": [
            {
                "file": s.file_name,
                "logical_id": s.logical_id or None,
                "resources": s.resources,
                "parameters": s.parameters,
                "outputs": s.outputs,
                "bytes": s.size,
            }
            for s in result.stacks
        ],
        "quotas": [use.to_json() for use in quota_report.usage(result.spec, result.stacks, result.created)],
        "wave": result.wave,
        "waves": result.wave_count,
        "placement": {
            "compute_shards": result.layout.placement.compute_shards,
            "albs": result.layout.placement.alb_count,
            "route_shards": result.layout.placement.route_shards,
            "file": result.placement_file,
            "written": result.placement_written,
            "changes": [change.describe() for change in result.layout.changes],
            "removed": result.layout.removed,
        },
        "warnings": result.warnings,
    }


def parse_jobs(value: int | None) -> int:
    if value is None:
        return parallel.available_cpus()
    if value < 1:
        raise UsageError(f"--jobs {value}: give 1 or more (1 renders every stack in this process)")
    return value


def run(args: argparse.Namespace, console: Console) -> int:
    image_tags = parse_image_tags(args.image_tag)
    jobs = parse_jobs(args.jobs)
    with console.progress(f"{args.env}: synthesizing", transient=True):  # lookups can take a few seconds
        result = synthesize(
            args.project_dir,
            args.env,
            args.out,
            args.refresh_lookups,
            image_tags,
            wave=args.wave,
            update_placement=args.update_placement,
            jobs=jobs,
        )
        result.write()
    if result.image_record_written:
        console.note(f"recorded the image tags in {deployed_images.rel_path(result.environment)} (commit it)")
    for warning in result.warnings:
        console.warning(warning)
    tls_note = ingress_tls.note(result.spec)
    if tls_note:
        console.note(tls_note)
    if result.looked_up:
        cache = lookup.cache_path(args.project_dir, result.environment).relative_to(args.project_dir).as_posix()
        console.note(
            f"asked AWS for the network of '{result.environment}' and cached the answer in {cache} "
            "(commit it: later synths read it instead of asking AWS)"
        )
    if args.format == "json":
        console.print(json.dumps(summary(result), indent=2))
        return 0
    where = shown_path(result.out_dir, args.project_dir)
    console.success(f"{result.environment}: wrote {len(result.stacks)} templates to {where}/")
    rows = [
        (
            s.file_name,
            s.logical_id or "(root)",
            styled(f"{s.resources}/{CFN_RESOURCES.limit} resources", usage_style(s.resources, CFN_RESOURCES.limit)),
            styled(f"{s.size:,}/{CFN_BYTES.limit:,} bytes", usage_style(s.size, CFN_BYTES.limit)),
        )
        for s in result.stacks
    ]
    console.table(("TEMPLATE", "STACK", "RESOURCES", "SIZE"), rows)
    # Every other quota at its most used scope (the per-template ones are in the table above).
    others = [
        u
        for u in quota_report.highest(quota_report.usage(result.spec, result.stacks, result.created))
        if u.quota.scope != "template"
    ]
    console.print()
    console.table(
        ("QUOTA", "MOST USED", "USED"),
        [(u.quota.name, u.scope, styled(f"{u.used:,}/{u.limit:,}", usage_style(u.used, u.limit))) for u in others],
    )
    if result.wave is not None:
        console.print()
        console.print(
            f"wave {result.wave} of {result.wave_count}: deploy it (sam build, sam deploy), then "
            + (f"synth --wave {result.wave + 1}" if result.wave < result.wave_count else "synth without --wave")
        )
    _placement_note(result, console)
    return 0


def _placement_note(result: Synthesis, console: Console) -> None:
    """Say when the placement file changed, and what was placed where; or why it was left alone."""
    layout = result.layout
    if not layout.changed:
        return
    if result.placement_written:
        console.note(
            f"updated {result.placement_file} ({layout.summary()}); commit it: it keeps services in their stacks"
        )
    else:
        console.note(
            f"{result.placement_file} left unchanged: the build went to --out elsewhere; it places "
            f"{layout.summary()}; pass --update-placement to store that"
        )
