"""template-gen exec: a shell in a running task of a service with ECS Exec enabled (`exec: true`)."""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Callable

from template_gen.console import Console
from template_gen.ops import ecs_exec, resources
from template_gen.review import aws


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "exec",
        parents=parents,
        help="open a shell in a running task of a service with exec: true (needs AWS)",
        description="Run a command (a shell by default) in a running task of a container service that has "
        "exec: true, through ECS Exec; needs AWS credentials and the Session Manager plugin.",
        epilog="examples:\n  template-gen exec --env dev quoting\n  template-gen exec --env dev quoting --command env",
    )
    p.add_argument("service", metavar="SERVICE", help="a container service with exec: true")
    p.add_argument("--env", required=True, metavar="ENV", help="deployed environment")
    p.add_argument("--command", default="/bin/sh", metavar="CMD", help="what to run (default /bin/sh)")
    p.add_argument("--task", metavar="TASK", help="task ID or ARN (default: the first running task)")
    p.add_argument("--container", metavar="NAME", help="container (default: the service's own)")
    p.set_defaults(run=run)


def run(
    args: argparse.Namespace,
    console: Console,
    client_factory: aws.ClientFactory | None = None,
    runner: ecs_exec.Runner = ecs_exec.run_plugin,
    which: Callable[[str], str | None] = shutil.which,
) -> int:
    env = resources.environment(args.project_dir, args.env)
    ecs_exec.check_enabled(env, args.service)
    plugin = ecs_exec.find_plugin(which)  # before a session is opened that nothing would use
    factory = client_factory or aws.client_factory(env.target.profile)
    session = ecs_exec.open_session(env, args.service, args.command, plugin, factory, args.task, args.container)
    task_id = session.task_arn.rsplit("/", 1)[1]
    console.note(f"{args.service}: {args.command} in container {session.container} of task {task_id}")
    return runner(session.plugin_args)
