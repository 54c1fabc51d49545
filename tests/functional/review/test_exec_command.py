"""exec against recorded-style CloudFormation and ECS responses (botocore Stubber): the Session Manager
plugin started as `aws ecs execute-command` starts it, and the errors a person can act on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ops_stubs import CLUSTER, QUOTING_ARN, TASK_ARN, OpsAws, example_project, run_command
from stub_responses import REGION

from template_gen.commands import execute


@pytest.fixture()
def aws() -> Iterator[OpsAws]:
    stubs = OpsAws()
    yield stubs
    stubs.done()


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    return example_project(tmp_path)


def enable_exec(project: Path) -> None:
    service_file = project / "services/quoting/service.yaml"
    service_file.write_text(service_file.read_text() + "exec: true\n")


def describe_task(exec_enabled: bool = True, agent: str = "RUNNING") -> dict[str, Any]:
    return {
        "tasks": [
            {
                "taskArn": TASK_ARN,
                "clusterArn": f"arn:aws:ecs:{REGION}:123456789012:cluster/{CLUSTER}",
                "lastStatus": "RUNNING",
                "enableExecuteCommand": exec_enabled,
                "containers": [
                    {
                        "name": "quoting",
                        "runtimeId": "0f4e2a9c1d7b4e3f8a6c5b2d1e0f9a8b-3311226617",
                        "lastStatus": "RUNNING",
                        "managedAgents": [{"name": "ExecuteCommandAgent", "lastStatus": agent}],
                    }
                ],
            }
        ],
        "failures": [],
    }


def test_exec_starts_the_session_manager_plugin_on_the_running_task(project: Path, aws: OpsAws) -> None:
    enable_exec(project)
    aws.deployed()
    aws.add(
        "ecs",
        "list_tasks",
        {"taskArns": [TASK_ARN]},
        {"cluster": CLUSTER, "serviceName": QUOTING_ARN.rsplit("/", 1)[1], "desiredStatus": "RUNNING"},
    )
    aws.add("ecs", "describe_tasks", describe_task(), {"cluster": CLUSTER, "tasks": [TASK_ARN]})
    session = {
        "sessionId": "ecs-execute-command-0a1b2c3d4e5f",
        "streamUrl": "wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/ecs-execute-command-0a1b2c3d4e5f?role=publish_subscribe",
        "tokenValue": "AAEAAb-not-a-real-token",
    }
    aws.add(
        "ecs",
        "execute_command",
        {
            "clusterArn": f"arn:aws:ecs:{REGION}:123456789012:cluster/{CLUSTER}",
            "containerName": "quoting",
            "interactive": True,
            "session": session,
            "taskArn": TASK_ARN,
        },
        {"cluster": CLUSTER, "task": TASK_ARN, "container": "quoting", "interactive": True, "command": "/bin/sh"},
    )
    started: list[list[str]] = []
    result = run_command(
        execute,
        project,
        ["exec", "quoting", "--env", "dev"],
        client_factory=aws.factory,
        runner=lambda args: started.append(list(args)) or 0,
        which=lambda name: f"/usr/local/bin/{name}",
    )
    assert result.code == 0, result.err
    assert started == [
        [
            "/usr/local/bin/session-manager-plugin",
            json.dumps(session),
            "eu-west-1",
            "StartSession",
            "",
            json.dumps(
                {"Target": "ecs:acme-dev_0f4e2a9c1d7b4e3f8a6c5b2d1e0f9a8b_0f4e2a9c1d7b4e3f8a6c5b2d1e0f9a8b-3311226617"}
            ),
            "https://ecs.eu-west-1.amazonaws.com",
        ]
    ]
    assert "AAEAAb-not-a-real-token" not in result.out + result.err


def test_exec_without_the_plugin_says_what_is_missing_before_any_aws_call(project: Path, aws: OpsAws) -> None:
    enable_exec(project)
    result = run_command(
        execute, project, ["exec", "quoting", "--env", "dev"], client_factory=aws.factory, which=lambda name: None
    )
    assert (result.code, result.err) == (
        1,
        "error: the Session Manager plugin (session-manager-plugin) is not on PATH; ECS Exec needs it to connect your "
        "terminal to the container: install it (https://docs.aws.amazon.com/systems-manager/latest/userguide/"
        "session-manager-working-with-install-plugin.html) and try again\n",
    )


def test_exec_on_a_service_without_exec_names_the_field(project: Path, aws: OpsAws) -> None:
    result = run_command(execute, project, ["exec", "quoting", "--env", "dev"], client_factory=aws.factory)
    assert (result.code, result.err) == (
        1,
        "error: services/quoting/service.yaml: exec: ECS Exec is off for 'quoting' in environment 'dev'; set "
        "`exec: true` (or under environments.dev: for this environment only), deploy, then run exec again\n",
    )


def test_exec_on_a_task_started_before_exec_was_enabled_says_how_to_replace_it(project: Path, aws: OpsAws) -> None:
    enable_exec(project)
    aws.deployed()
    aws.add(
        "ecs",
        "describe_tasks",
        describe_task(exec_enabled=False),
        {"cluster": CLUSTER, "tasks": ["0f4e2a9c1d7b4e3f8a6c5b2d1e0f9a8b"]},
    )
    result = run_command(
        execute,
        project,
        ["exec", "quoting", "--env", "dev", "--task", "0f4e2a9c1d7b4e3f8a6c5b2d1e0f9a8b"],
        client_factory=aws.factory,
        which=lambda name: f"/usr/local/bin/{name}",
    )
    assert (result.code, result.err) == (
        1,
        "error: task 0f4e2a9c1d7b4e3f8a6c5b2d1e0f9a8b of 'quoting' was started before ECS Exec was enabled; start new "
        "tasks with `aws ecs update-service --force-new-deployment` (or deploy again), then run exec again\n",
    )
