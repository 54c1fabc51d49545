"""status and logs against recorded-style responses (botocore Stubber): what each prints, the AWS
calls each makes, and the errors a person can act on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ops_stubs import (
    CLUSTER,
    NOTIFIER_ARN,
    NOW,
    PRICING_ARN,
    PRICING_TG,
    QUOTING_ARN,
    QUOTING_TG,
    REPO,
    RULES_ARN,
    OpsAws,
    example_project,
    run_command,
    service,
    task_definition,
)
from stub_responses import REGION

from template_gen.commands import logs, status


@pytest.fixture()
def aws() -> Iterator[OpsAws]:
    stubs = OpsAws()
    yield stubs
    stubs.done()


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    return example_project(tmp_path)


def metric(id_: str, values: list[float]) -> dict[str, Any]:
    return {"Id": id_, "Label": id_, "Timestamps": [NOW] * len(values), "Values": values, "StatusCode": "Complete"}


def expect_services(aws: OpsAws) -> None:
    aws.add(
        "ecs",
        "describe_services",
        {
            "services": [
                service(RULES_ARN, "pricing-rules", 1, 1, 0, "COMPLETED", "done", 2),
                service(
                    QUOTING_ARN,
                    "quoting",
                    2,
                    2,
                    0,
                    "COMPLETED",
                    "ECS deployment ecs-svc/7391046208471038151 completed.",
                    7,
                ),
                service(
                    PRICING_ARN,
                    "product-pricing",
                    1,
                    2,
                    1,
                    "IN_PROGRESS",
                    "ECS deployment ecs-svc/7391046208471038151 in progress.",
                    3,
                ),
                service(NOTIFIER_ARN, "quote-notifier", 1, 1, 0, "COMPLETED", "done", 4),
            ],
            "failures": [],
        },
        {"cluster": CLUSTER, "services": [RULES_ARN, PRICING_ARN, NOTIFIER_ARN, QUOTING_ARN]},
    )
    healthy = {
        "Target": {"Id": "10.20.3.14", "Port": 8080, "AvailabilityZone": "eu-west-1a"},
        "HealthCheckPort": "8080",
        "TargetHealth": {"State": "healthy"},
    }
    unhealthy = {
        "Target": {"Id": "10.20.3.51", "Port": 8080},
        "HealthCheckPort": "8080",
        "TargetHealth": {
            "State": "unhealthy",
            "Reason": "Target.ResponseCodeMismatch",
            "Description": "Health checks failed with these codes: [404]",
        },
    }
    # pricing-rules (internal) and quote-notifier (a worker) have no target group: only their images are read.
    aws.add(
        "ecs",
        "describe_task_definition",
        task_definition("pricing-rules", 2, f"{REPO}/pricing-rules:0.9.0"),
        {"taskDefinition": service(RULES_ARN, "pricing-rules", 0, 0, 0, "", "", 2)["taskDefinition"]},
    )
    aws.add(
        "elbv2",
        "describe_target_health",
        {"TargetHealthDescriptions": [healthy, unhealthy]},
        {"TargetGroupArn": PRICING_TG},
    )
    aws.add(
        "ecs",
        "describe_task_definition",
        task_definition("product-pricing", 3, f"{REPO}/product-pricing:2.0.0-rc.1"),
        {"taskDefinition": service(PRICING_ARN, "product-pricing", 0, 0, 0, "", "", 3)["taskDefinition"]},
    )
    aws.add(
        "ecs",
        "describe_task_definition",
        task_definition("quote-notifier", 4, f"{REPO}/quote-notifier:1.0.3"),
        {"taskDefinition": service(NOTIFIER_ARN, "quote-notifier", 0, 0, 0, "", "", 4)["taskDefinition"]},
    )
    aws.add(
        "elbv2",
        "describe_target_health",
        {"TargetHealthDescriptions": [healthy, {**healthy, "Target": {"Id": "10.20.4.27", "Port": 8080}}]},
        {"TargetGroupArn": QUOTING_TG},
    )
    aws.add(
        "ecs",
        "describe_task_definition",
        task_definition("quoting", 7, f"{REPO}/quoting:1.4.2"),
        {"taskDefinition": service(QUOTING_ARN, "quoting", 0, 0, 0, "", "", 7)["taskDefinition"]},
    )


def expect_metrics(aws: OpsAws, functions: list[str], values: dict[str, list[float]]) -> None:
    queries = [
        {
            "Id": f"{key}{i}",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/Lambda",
                    "MetricName": metric_name,
                    "Dimensions": [{"Name": "FunctionName", "Value": fn}],
                },
                "Period": 3600,
                "Stat": "Sum",
            },
        }
        for i, fn in enumerate(functions)
        for key, metric_name in (("e", "Errors"), ("i", "Invocations"))
    ]
    aws.add(
        "cloudwatch",
        "get_metric_data",
        {"MetricDataResults": [metric(q["Id"], values.get(q["Id"], [])) for q in queries]},
        {"MetricDataQueries": queries, "StartTime": NOW.replace(hour=9), "EndTime": NOW},
    )


def run_status(project: Path, aws: OpsAws, *argv: str) -> Any:
    return run_command(status, project, ["status", "--env", "dev", *argv], client_factory=aws.factory, now=lambda: NOW)


def test_status_shows_tasks_rollouts_targets_images_and_lambda_errors(project: Path, aws: OpsAws) -> None:
    aws.deployed()
    expect_services(aws)
    functions = ["acme-dev-platform-info", "acme-dev-api-key-validator", "acme-dev-onboarding"]
    expect_metrics(aws, functions, {"e0": [3.0], "i0": [118.0, 2.0], "i1": [960.0], "i2": [4.0]})
    result = run_status(project, aws)
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "dev: stack acme-dev in eu-west-1 is UPDATE_COMPLETE, last changed 2026-01-05T09:42:35+00:00",
        "",
        "SERVICE          RUNNING  DESIRED  PENDING  ROLLOUT      IMAGE       TARGETS",
        "pricing-rules    1        1        0        COMPLETED    0.9.0       -",
        "product-pricing  1        2        1        IN_PROGRESS  2.0.0-rc.1  1 healthy, 1 unhealthy",
        "quote-notifier   1        1        0        COMPLETED    1.0.3       -",
        "quoting          2        2        0        COMPLETED    1.4.2       2 healthy",
        "",
        "FUNCTION                    KIND      ERRORS (60 MIN)  INVOCATIONS",
        "acme-dev-platform-info      lambda    3                120",
        "acme-dev-api-key-validator  platform  0                960",
        "acme-dev-onboarding         platform  0                4",
        "",
        "attention:",
        "  product-pricing: rollout IN_PROGRESS: ECS deployment ecs-svc/7391046208471038151 in progress.",
        "  product-pricing: target 10.20.3.51:8080 is unhealthy (Target.ResponseCodeMismatch: Health checks failed "
        "with these codes: [404])",
        "  platform-info: 3 errors in 120 invocations (template-gen logs --env dev platform-info --filter ERROR)",
    ]


def test_status_of_one_service_as_json(project: Path, aws: OpsAws) -> None:
    aws.deployed()
    aws.add(
        "ecs",
        "describe_services",
        {"services": [service(QUOTING_ARN, "quoting", 2, 2, 0, "COMPLETED", "done", 7)], "failures": []},
        {"cluster": CLUSTER, "services": [QUOTING_ARN]},
    )
    aws.add("elbv2", "describe_target_health", {"TargetHealthDescriptions": []}, {"TargetGroupArn": QUOTING_TG})
    aws.add("ecs", "describe_task_definition", task_definition("quoting", 7, f"{REPO}/quoting@sha256:{'ab' * 32}"))
    result = run_status(project, aws, "quoting", "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["stack_status"] == "UPDATE_COMPLETE"
    assert data["functions"] == []
    assert data["services"] == [
        {
            "name": "quoting",
            "kind": "ecs",
            "service_arn": QUOTING_ARN,
            "running": 2,
            "desired": 2,
            "pending": 0,
            "rollout": "COMPLETED",
            "rollout_reason": "done",
            "deployment_updated": "2026-01-05T09:44:02+00:00",
            "task_definition": f"arn:aws:ecs:{REGION}:123456789012:task-definition/acme-dev-quoting:7",
            "image_tag": f"sha256:{'ab' * 32}",
            "targets": {},
            "unhealthy": [],
        }
    ]


def test_status_of_a_worker_reads_its_ecs_service_and_has_no_targets(project: Path, aws: OpsAws) -> None:
    aws.deployed()
    aws.add(
        "ecs",
        "describe_services",
        {"services": [service(NOTIFIER_ARN, "quote-notifier", 1, 1, 0, "COMPLETED", "done", 4)], "failures": []},
        {"cluster": CLUSTER, "services": [NOTIFIER_ARN]},
    )
    aws.add("ecs", "describe_task_definition", task_definition("quote-notifier", 4, f"{REPO}/quote-notifier:1.0.3"))
    result = run_status(project, aws, "quote-notifier", "--format", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["services"] == [
        {
            "name": "quote-notifier",
            "kind": "worker",
            "service_arn": NOTIFIER_ARN,
            "running": 1,
            "desired": 1,
            "pending": 0,
            "rollout": "COMPLETED",
            "rollout_reason": "done",
            "deployment_updated": "2026-01-05T09:44:02+00:00",
            "task_definition": f"arn:aws:ecs:{REGION}:123456789012:task-definition/acme-dev-quote-notifier:4",
            "image_tag": "1.0.3",
            "targets": None,
            "unhealthy": [],
        }
    ]


def test_status_of_an_environment_never_deployed_says_so(project: Path, aws: OpsAws) -> None:
    aws.stubs["cloudformation"].add_client_error(
        "describe_stacks", "ValidationError", "Stack with id acme-dev does not exist", 400, {"StackName": "acme-dev"}
    )
    result = run_status(project, aws)
    assert (result.code, result.err) == (
        1,
        "error: stack acme-dev does not exist in eu-west-1; deploy the environment first (template-gen deploy --env dev)\n",
    )


def log_event(
    n: int, seconds: int, message: str, stream: str = "quoting/quoting/0f4e2a9c1d7b4e3f8a6c5b2d1e0f9a8b"
) -> dict[str, Any]:
    return {
        "logStreamName": stream,
        "timestamp": int(NOW.timestamp() * 1000) + seconds * 1000,
        "message": message,
        "ingestionTime": int(NOW.timestamp() * 1000) + seconds * 1000 + 300,
        "eventId": f"3781029384756{n:02d}",
    }


def test_logs_pages_through_the_service_log_group_since_a_duration(project: Path, aws: OpsAws) -> None:
    start = int(NOW.timestamp() * 1000) - 600_000
    request = {"logGroupName": "/acme/dev/ecs/quoting", "startTime": start, "filterPattern": "ERROR"}
    aws.add(
        "logs",
        "filter_log_events",
        {"events": [log_event(1, -120, "ERROR pricing timeout\n")], "nextToken": "t2"},
        request,
    )
    aws.add(
        "logs",
        "filter_log_events",
        {"events": [log_event(2, -60, "ERROR pricing timeout again")]},
        {**request, "nextToken": "t2"},
    )
    result = run_command(
        logs,
        project,
        ["logs", "quoting", "--env", "dev", "--filter", "ERROR"],
        client_factory=aws.factory,
        now=lambda: NOW,
    )
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "2026-01-05 09:58:00  quoting/quoting/0f4e2a9c1d7b4e3f8a6c5b2d1e0f9a8b  ERROR pricing timeout",
        "2026-01-05 09:59:00  quoting/quoting/0f4e2a9c1d7b4e3f8a6c5b2d1e0f9a8b  ERROR pricing timeout again",
    ]
    assert result.err == "note: /acme/dev/ecs/quoting since 2026-01-05 09:50:00 UTC\n"


def test_logs_follow_prints_only_new_events_and_api_shows_access_logs(project: Path, aws: OpsAws) -> None:
    start = int(NOW.timestamp() * 1000) - 2 * 3600_000
    group = "/acme/dev/apigateway/public"
    first = log_event(1, 5, '{"requestId":"a1","status":"200"}', "2f8c0e1d9b7a")
    second = log_event(2, 7, '{"requestId":"a2","status":"502"}', "2f8c0e1d9b7a")
    aws.add("logs", "filter_log_events", {"events": [first]}, {"logGroupName": group, "startTime": start})
    aws.add(
        "logs",
        "filter_log_events",
        {"events": [first, second]},
        {"logGroupName": group, "startTime": first["timestamp"]},
    )
    sleeps: list[float] = []
    result = run_command(
        logs,
        project,
        ["logs", "--env", "dev", "--api", "--since", "2h", "--follow"],
        client_factory=aws.factory,
        now=lambda: NOW,
        sleep=sleeps.append,
        max_polls=2,
    )
    assert result.code == 0, result.err
    assert [line.split("  ")[-1] for line in result.out.splitlines()] == [first["message"], second["message"]]
    assert sleeps == [2.0]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["logs", "--env", "dev"], "name a service (or a platform function), or pass --api for the API access logs"),
        (
            ["logs", "quoting", "--env", "dev", "--api"],
            "--api public shows the API's access logs; leave out the service (quoting)",
        ),
        (["logs", "billing", "--env", "dev"], "'billing' is not a service of environment 'dev'"),
        (
            ["logs", "quoting", "--env", "dev", "--since", "yesterday"],
            "--since yesterday: use a duration like 30s, 10m, 2h or 1d, or a time like 2026-01-05T09:30:00Z",
        ),
    ],
)
def test_logs_bad_input(project: Path, aws: OpsAws, argv: list[str], message: str) -> None:
    result = run_command(logs, project, argv, client_factory=aws.factory, now=lambda: NOW)
    assert (result.code, result.err) == (1, f"error: {message}\n")


def test_logs_of_a_missing_log_group_is_explained(project: Path, aws: OpsAws) -> None:
    aws.stubs["logs"].add_client_error(
        "filter_log_events", "ResourceNotFoundException", "The specified log group does not exist.", 400
    )
    result = run_command(
        logs, project, ["logs", "platform-info", "--env", "dev"], client_factory=aws.factory, now=lambda: NOW
    )
    assert result.err.splitlines()[-1] == (
        "error: log group /acme/dev/lambda/platform-info does not exist; is the environment deployed with it "
        "(template-gen status)?"
    )


def test_status_of_a_service_enabled_but_not_deployed_yet(project: Path, aws: OpsAws) -> None:
    aws.stubs["cloudformation"].add_response(
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": "acme-dev",
                    "StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/acme-dev/1",
                    "CreationTime": NOW,
                    "StackStatus": "CREATE_COMPLETE",
                }
            ]
        },
    )
    aws.stubs["cloudformation"].add_response("list_stack_resources", {"StackResourceSummaries": []})
    result = run_status(project, aws, "quoting")
    assert result.code == 0, result.err
    assert result.out.splitlines()[2:4] == [
        "SERVICE  RUNNING  DESIRED  PENDING  ROLLOUT       IMAGE  TARGETS",
        "quoting  -        -        -        not deployed  -      -",
    ]
