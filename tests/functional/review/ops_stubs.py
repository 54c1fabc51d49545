"""Recorded-style responses of a deployed dev environment of the example registry (CloudFormation, ECS,
ELBv2, CloudWatch, Logs) for botocore's Stubber, and the commands run as the CLI runs them."""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.stub import Stubber
from stub_responses import ACCOUNT, REGION, ROOT, STACK, STACK_ID
from support import CliResult
from synth_cases import CASES, copy_project

from template_gen.cli import build_parser
from template_gen.console import Console
from template_gen.errors import TemplateGenError

NOW = datetime(2026, 1, 5, 10, 0, 0, tzinfo=UTC)
DEPLOYED = datetime(2026, 1, 5, 9, 42, 35, tzinfo=UTC)
COMPUTE_ID = STACK_ID.replace("acme-dev", "acme-dev-ComputeStack-1OX1E2C4JT3DH")
NETWORK_ID = STACK_ID.replace("acme-dev", "acme-dev-NetworkStack-X4G0PZ7Q1L2M")
CLUSTER = "acme-dev"
QUOTING_ARN = (
    f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/acme-dev-ComputeStack-1OX1E2C4JT3DH-QuotingService-kE3pXb1sV9aQ"
)
PRICING_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/acme-dev-ComputeStack-1OX1E2C4JT3DH-ProductPricingService-Zt0mWq7Lr2Yc"
RULES_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/acme-dev-ComputeStack-1OX1E2C4JT3DH-PricingRulesService-Hn4cVd8Ks1Pe"
NOTIFIER_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/acme-dev-ComputeStack-1OX1E2C4JT3DH-QuoteNotifierService-Bw6fTj2Rm9Xu"
QUOTING_TG = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/acme-de-Quoti-1C9Q2ZJ4E0M5A/6d0ecf831eec9f09"
PRICING_TG = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/acme-de-Produ-7H2K4L6N8P0R/8a1b2c3d4e5f6a7b"
REPO = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/acme/dev"
TASK_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{CLUSTER}/0f4e2a9c1d7b4e3f8a6c5b2d1e0f9a8b"


def summary(logical: str, kind: str, physical: str) -> dict[str, Any]:
    return {
        "LogicalResourceId": logical,
        "PhysicalResourceId": physical,
        "ResourceType": kind,
        "LastUpdatedTimestamp": DEPLOYED,
        "ResourceStatus": "UPDATE_COMPLETE",
    }


ROOT_RESOURCES = [
    summary("ComputeStack", "AWS::CloudFormation::Stack", COMPUTE_ID),
    summary("NetworkStack", "AWS::CloudFormation::Stack", NETWORK_ID),
]
NETWORK_RESOURCES = [summary("Alb", "AWS::ElasticLoadBalancingV2::LoadBalancer", "arn:aws:elasticloadbalancing:x")]
COMPUTE_RESOURCES = [
    summary("Cluster", "AWS::ECS::Cluster", CLUSTER),
    summary("QuotingService", "AWS::ECS::Service", QUOTING_ARN),
    summary("QuotingTargetGroup", "AWS::ElasticLoadBalancingV2::TargetGroup", QUOTING_TG),
    summary("ProductPricingService", "AWS::ECS::Service", PRICING_ARN),
    summary("ProductPricingTargetGroup", "AWS::ElasticLoadBalancingV2::TargetGroup", PRICING_TG),
    # An internal service and a worker: ECS services without a target group.
    summary("PricingRulesService", "AWS::ECS::Service", RULES_ARN),
    summary("QuoteNotifierService", "AWS::ECS::Service", NOTIFIER_ARN),
    summary("PlatformInfoFunction", "AWS::Lambda::Function", "acme-dev-platform-info"),
    summary("ApiKeyValidatorFunction", "AWS::Lambda::Function", "acme-dev-api-key-validator"),
    summary("OnboardingFunction", "AWS::Lambda::Function", "acme-dev-onboarding"),
]


def service(
    arn: str, name: str, running: int, desired: int, pending: int, rollout: str, reason: str, revision: int
) -> dict[str, Any]:
    family = f"acme-dev-{name}"
    return {
        "serviceArn": arn,
        "serviceName": arn.rsplit("/", 1)[1],
        "clusterArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{CLUSTER}",
        "status": "ACTIVE",
        "desiredCount": desired,
        "runningCount": running,
        "pendingCount": pending,
        "launchType": "FARGATE",
        "taskDefinition": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:{revision}",
        "deployments": [
            {
                "id": "ecs-svc/7391046208471038151",
                "status": "PRIMARY",
                "taskDefinition": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:{revision}",
                "desiredCount": desired,
                "pendingCount": pending,
                "runningCount": running,
                "failedTasks": 0,
                "createdAt": datetime(2026, 1, 5, 9, 41, 30, tzinfo=UTC),
                "updatedAt": datetime(2026, 1, 5, 9, 44, 2, tzinfo=UTC),
                "rolloutState": rollout,
                "rolloutStateReason": reason,
            }
        ],
    }


def task_definition(name: str, revision: int, image: str) -> dict[str, Any]:
    return {
        "taskDefinition": {
            "taskDefinitionArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/acme-dev-{name}:{revision}",
            "family": f"acme-dev-{name}",
            "revision": revision,
            "containerDefinitions": [
                {"name": name, "image": image, "essential": True},
                {"name": "xray-daemon", "image": "public.ecr.aws/xray/aws-xray-daemon:3.3.12", "essential": False},
            ],
        }
    }


@dataclass
class OpsAws:
    clients: dict[str, Any] = field(default_factory=dict)
    stubs: dict[str, Stubber] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("cloudformation", "ecs", "elbv2", "cloudwatch", "logs", "sts"):
            self.clients[name] = boto3.client(name, region_name=REGION)
            self.stubs[name] = Stubber(self.clients[name])
            self.stubs[name].activate()

    def factory(self, service: str, region: str) -> Any:
        assert region == REGION
        return self.clients[service]

    def add(self, service: str, method: str, response: dict[str, Any], params: dict[str, Any] | None = None) -> None:
        self.stubs[service].add_response(method, response, params)

    def done(self) -> None:
        for stub in self.stubs.values():
            stub.assert_no_pending_responses()
            stub.deactivate()

    def deployed(self) -> None:
        self.add(
            "cloudformation",
            "describe_stacks",
            {
                "Stacks": [
                    {
                        "StackName": STACK,
                        "StackId": STACK_ID,
                        "CreationTime": datetime(2025, 11, 2, 8, 0, tzinfo=UTC),
                        "LastUpdatedTime": DEPLOYED,
                        "StackStatus": "UPDATE_COMPLETE",
                    }
                ]
            },
            {"StackName": STACK},
        )
        for stack_id, found in (
            (STACK_ID, ROOT_RESOURCES),
            (COMPUTE_ID, COMPUTE_RESOURCES),
            (NETWORK_ID, NETWORK_RESOURCES),
        ):
            self.add(
                "cloudformation", "list_stack_resources", {"StackResourceSummaries": found}, {"StackName": stack_id}
            )


def example_project(tmp_path: Path) -> Path:
    project = copy_project(CASES["example"].project, tmp_path / "project")
    shutil.copy(ROOT / "samconfig.toml", project / "samconfig.toml")
    return project


def run_command(module: Any, project: Path, argv: list[str], **extra: Any) -> CliResult:
    args = build_parser().parse_args(argv)
    args.project_dir = project
    out, err = io.StringIO(), io.StringIO()
    console = Console(out, err)
    try:
        code = module.run(args, console, **extra)
    except TemplateGenError as exc:
        console.error(str(exc))
        code = 1
    return CliResult(code, out.getvalue(), err.getvalue())
