"""`template-gen exec`: a shell (or any command) in a running task of a service with ECS Exec enabled.

This is what `aws ecs execute-command` does: `ExecuteCommand` opens an SSM session and the Session Manager
plugin (a separate program) connects the terminal to it. The task must have been started with exec
enabled and its SSM agent running, so both are checked first, with what to do when they are not.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from template_gen.errors import AwsError, UsageError
from template_gen.naming import logical_id
from template_gen.ops import resources
from template_gen.ops.resources import Environment, cluster_of
from template_gen.registry.models import EcsService
from template_gen.review import aws

PLUGIN = "session-manager-plugin"
PLUGIN_DOCS = (
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html"
)
Runner = Callable[[Sequence[str]], int]


@dataclass(frozen=True)
class Session:
    cluster: str
    task_arn: str
    container: str
    plugin_args: list[str]  # what the plugin is started with (the session token included: never print it)


def check_enabled(env: Environment, name: str) -> EcsService:
    entry = env.services(name)[0]
    model = entry.model
    if not isinstance(model, EcsService):
        raise UsageError(f"'{name}' is a Lambda service; exec opens a shell in a container of an ECS service")
    if not model.exec:
        raise UsageError(
            f"{entry.file}: exec: ECS Exec is off for '{name}' in environment '{env.name}'; set `exec: true` (or "
            f"under environments.{env.name}: for this environment only), deploy, then run exec again"
        )
    return model


def find_plugin(which: Callable[[str], str | None] = shutil.which) -> str:
    found = which(PLUGIN)
    if found is None:
        raise UsageError(
            f"the Session Manager plugin ({PLUGIN}) is not on PATH; ECS Exec needs it to connect your terminal to the "
            f"container: install it ({PLUGIN_DOCS}) and try again"
        )
    return found


def _call(what: str, call: Callable[[], Any]) -> Any:
    try:
        return call()
    except (BotoCoreError, ClientError) as exc:
        raise AwsError(f"{what}: {exc}") from exc


def open_session(
    env: Environment,
    name: str,
    command: str,
    plugin: str,
    client_factory: aws.ClientFactory,
    task: str | None = None,
    container: str | None = None,
) -> Session:
    target = env.target
    aws.check_account(client_factory("sts", target.region), target)
    deployed = resources.read(client_factory("cloudformation", target.region), target)
    service_arn = deployed.physical(f"{logical_id(name)}Service")
    if not service_arn:
        raise AwsError(f"stack {target.stack_name} has no ECS service for '{name}'; deploy it first")
    cluster = cluster_of(service_arn)
    ecs = client_factory("ecs", target.region)
    if task is None:
        listed = _call(
            f"could not list the tasks of {name}",
            lambda: ecs.list_tasks(cluster=cluster, serviceName=service_arn.rsplit("/", 1)[1], desiredStatus="RUNNING"),
        )
        if not listed.get("taskArns"):
            raise AwsError(f"'{name}' has no running task in environment '{env.name}' (template-gen status shows why)")
        task = str(listed["taskArns"][0])
    found = _call(f"could not read task {task}", lambda: ecs.describe_tasks(cluster=cluster, tasks=[task]))
    if not found.get("tasks"):
        raise UsageError(f"--task {task}: no such task in cluster {cluster}")
    described = found["tasks"][0]
    container = container or name
    runtime_id = _check_task(described, container, name)
    session = _call(
        f"could not start a session in task {task}",
        lambda: ecs.execute_command(
            cluster=cluster, task=described["taskArn"], container=container, interactive=True, command=command
        ),
    )["session"]
    task_id = str(described["taskArn"]).rsplit("/", 1)[1]
    parameters = {"Target": f"ecs:{cluster}_{task_id}_{runtime_id}"}
    args = [
        plugin,
        json.dumps(session),
        target.region,
        "StartSession",
        target.profile or "",
        json.dumps(parameters),
        f"https://ecs.{target.region}.amazonaws.com",
    ]
    return Session(cluster, str(described["taskArn"]), container, args)


def _check_task(task: dict[str, Any], container: str, name: str) -> str:
    task_id = str(task["taskArn"]).rsplit("/", 1)[1]
    if not task.get("enableExecuteCommand"):
        raise AwsError(
            f"task {task_id} of '{name}' was started before ECS Exec was enabled; start new tasks with "
            "`aws ecs update-service --force-new-deployment` (or deploy again), then run exec again"
        )
    match = next((c for c in task.get("containers", []) if c.get("name") == container), None)
    if match is None:
        names = ", ".join(sorted(str(c.get("name")) for c in task.get("containers", [])))
        raise UsageError(f"--container {container}: task {task_id} has no such container (it has: {names})")
    agent: dict[str, Any] = next(
        (a for a in match.get("managedAgents", []) if a.get("name") == "ExecuteCommandAgent"), {}
    )
    if agent.get("lastStatus") != "RUNNING":
        raise AwsError(
            f"the ECS Exec agent of container {container} in task {task_id} is "
            f"{agent.get('lastStatus', 'not running')}; "
            "wait a minute after the task starts, or check that the task can reach SSM (NAT or VPC endpoints)"
        )
    return str(match["runtimeId"])


def run_plugin(args: Sequence[str]) -> int:
    """Run the plugin on this terminal. Ctrl-C, Ctrl-\\ and Ctrl-Z belong to the remote shell while it
    runs, so this process ignores them (as `aws ecs execute-command` does)."""
    names = ("SIGINT", "SIGQUIT", "SIGTSTP")
    signals = [getattr(signal, name) for name in names if hasattr(signal, name)]
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in signals}
    try:
        return subprocess.call(list(args))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
