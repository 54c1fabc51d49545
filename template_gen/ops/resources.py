"""What a deployed environment is made of: the root stack's status and the physical IDs of the resources
of every nested stack, by logical ID (service resources have unique logical IDs across the stacks, as
`QuotingService` and `QuotingTargetGroup`), and the names template-gen gives (functions, log groups)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from template_gen import naming, pipeline
from template_gen.errors import AwsError, UsageError
from template_gen.registry.entries import ServiceEntry
from template_gen.registry.validate import ValidRegistry
from template_gen.review import aws

STACK_TYPE = "AWS::CloudFormation::Stack"
PLATFORM_FUNCTIONS = ("api-key-validator", "onboarding")


@dataclass(frozen=True)
class Environment:
    """The registry's view of one environment, and where it is deployed."""

    name: str
    valid: ValidRegistry
    target: aws.Target

    @property
    def platform(self) -> str:
        return self.valid.registry.platform

    def services(self, only: str | None = None) -> list[ServiceEntry]:
        entries = list(self.valid.environments[self.name].services)
        if only is None:
            return entries
        found = [e for e in entries if e.name == only]
        if not found:
            where = "is not enabled in" if only in self.valid.all_services else "is not a service of"
            raise UsageError(f"'{only}' {where} environment '{self.name}'")
        return found

    def function_name(self, name: str) -> str:
        return naming.function_name(self.platform, self.name, name)

    def log_group(self, *parts: str) -> str:
        return naming.log_group_name(self.platform, self.name, *parts)


def environment(project_dir: Path, env_name: str) -> Environment:
    valid = pipeline.load_registry(project_dir, [env_name])
    return Environment(env_name, valid, aws.target(project_dir, env_name, valid))


@dataclass(frozen=True)
class Deployed:
    stack_name: str
    status: str
    reason: str
    updated: datetime | None
    resources: dict[str, tuple[str, str]]  # logical ID -> (resource type, physical ID)

    def physical(self, logical_id: str) -> str | None:
        found = self.resources.get(logical_id)
        return found[1] if found else None


def read(cfn: Any, target: aws.Target) -> Deployed:
    name = target.stack_name
    try:
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as exc:
        if "does not exist" in str(exc):
            raise AwsError(
                f"stack {name} does not exist in {target.region}; deploy the environment first "
                f"(template-gen deploy --env {target.environment})"
            ) from exc
        raise AwsError(f"could not read stack {name}: {exc}") from exc
    except BotoCoreError as exc:
        raise AwsError(f"could not read stack {name}: {exc}") from exc
    resources: dict[str, tuple[str, str]] = {}
    _resources(cfn, str(stack.get("StackId") or name), resources)
    return Deployed(
        name,
        str(stack["StackStatus"]),
        str(stack.get("StackStatusReason") or ""),
        stack.get("LastUpdatedTime") or stack.get("CreationTime"),
        resources,
    )


def _resources(cfn: Any, stack: str, into: dict[str, tuple[str, str]]) -> None:
    try:
        for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack):
            for summary in page["StackResourceSummaries"]:
                logical, kind = str(summary["LogicalResourceId"]), str(summary["ResourceType"])
                physical = str(summary.get("PhysicalResourceId") or "")
                into.setdefault(logical, (kind, physical))
                if kind == STACK_TYPE and physical.startswith("arn:"):
                    _resources(cfn, physical, into)
    except (BotoCoreError, ClientError) as exc:
        raise AwsError(f"could not list the resources of stack {stack}: {exc}") from exc


def cluster_of(service_arn: str) -> str:
    """`arn:aws:ecs:eu-west-1:123456789012:service/acme-dev/acme-dev-QuotingService-1a2b` -> `acme-dev`."""
    parts = service_arn.split(":", 5)[-1].split("/")
    if len(parts) != 3:
        raise AwsError(f"unexpected ECS service ARN {service_arn} (the long ARN format is expected)")
    return parts[1]
