"""template-gen logs: a service's log events (ECS or Lambda), or an API's access logs."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime

from template_gen.console import Console
from template_gen.ops import logs, resources
from template_gen.review import aws


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "logs",
        parents=parents,
        help="show a service's logs (ECS or Lambda), or the API access logs (needs AWS)",
        description="Print a service's log events (its ECS log group or its function's), or an API's access "
        "logs with --api, from --since on; --follow keeps printing new ones. Needs AWS credentials.",
        epilog="examples:\n  template-gen logs --env dev quoting --since 1h\n"
        '  template-gen logs --env dev --api --filter "{ $.status = 502 }" --follow',
    )
    p.add_argument(
        "service",
        nargs="?",
        metavar="SERVICE",
        help="a service, or a platform function (api-key-validator, onboarding)",
    )
    p.add_argument("--env", required=True, metavar="ENV", help="deployed environment to read")
    p.add_argument("--since", default="10m", metavar="WHEN", help="30s, 10m, 2h, 1d or an ISO 8601 time (default 10m)")
    p.add_argument(
        "--filter", metavar="PATTERN", help='CloudWatch Logs filter pattern, e.g. ERROR or "{ $.status = 500 }"'
    )
    p.add_argument("--follow", action="store_true", help="keep printing new events until interrupted")
    p.add_argument(
        "--api", nargs="?", const="public", choices=("public", "private"), help="the API's access logs (default public)"
    )
    p.set_defaults(run=run)


def run(
    args: argparse.Namespace,
    console: Console,
    client_factory: aws.ClientFactory | None = None,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    max_polls: int | None = None,
) -> int:
    env = resources.environment(args.project_dir, args.env)
    group = logs.log_group(env, args.service, args.api)
    since = logs.parse_since(args.since, now())
    target = env.target
    factory = client_factory or aws.client_factory(target.profile)
    aws.check_account(factory("sts", target.region), target)
    console.note(f"{group} since {since:%Y-%m-%d %H:%M:%S} UTC" + (" (following; Ctrl-C stops)" if args.follow else ""))
    client = factory("logs", target.region)
    try:
        for event in logs.events(client, group, since, args.filter, args.follow, sleep, max_polls):
            console.print(event.line())
    except KeyboardInterrupt:
        return 0  # the way to stop --follow
    return 0
