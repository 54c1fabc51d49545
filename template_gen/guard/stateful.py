"""The resource types that hold data: a change that replaces or deletes one of them loses that data.

This is the one table the guard (`template_gen.guard.check`) and the stack policy
(`template_gen.guard.policy`) read. Each entry says what is lost and why the type keeps it: CloudFormation
creates a replacement empty and does not copy anything from the old resource.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stateful:
    resource_type: str
    data: str  # what a replacement or a deletion loses, as the refusal says it
    why: str  # why the type is stateful


STATEFUL: dict[str, Stateful] = {
    s.resource_type: s
    for s in (
        Stateful(
            "AWS::DynamoDB::Table",
            "every item in the table (the consumers table: the consumers and their API key hashes)",
            "items live only in the table; a new table starts empty",
        ),
        Stateful(
            "AWS::Serverless::SimpleTable",
            "every item in the table",
            "the SAM transform makes it an AWS::DynamoDB::Table",
        ),
        Stateful(
            "AWS::S3::Bucket",
            "every object in the bucket (the ALB access logs)",
            "objects live only in the bucket, and CloudFormation cannot delete a bucket that still has any",
        ),
        Stateful(
            "AWS::ECR::Repository",
            "every image pushed to the repository",
            "images are pushed by `template-gen publish`, not by CloudFormation, so nothing recreates them, and "
            "tasks that run one of its tags cannot start again without it",
        ),
        Stateful(
            "AWS::Logs::LogGroup",
            "every log event in the group",
            "log events live only in the group; a new group starts empty",
        ),
        Stateful(
            "AWS::ServiceDiscovery::HttpNamespace",
            "the Cloud Map namespace and every service registered in it (the names callers resolve)",
            "ECS Service Connect registers the services; a new namespace has none until every service redeploys",
        ),
        Stateful(
            "AWS::ServiceDiscovery::PrivateDnsNamespace",
            "the Cloud Map namespace, its hosted zone and every service registered in it",
            "registrations and DNS records live only in the namespace",
        ),
        Stateful(
            "AWS::SecretsManager::Secret",
            "the secret value and every earlier version of it",
            "the value is set or rotated outside the template; a new secret gets a new generated value",
        ),
        Stateful(
            "AWS::EFS::FileSystem",
            "every file on the file system",
            "files live only on the file system; a new one starts empty",
        ),
        Stateful(
            "AWS::SQS::Queue",
            "the messages in flight (sent and not yet processed)",
            "messages wait in the queue until a consumer deletes them; a new queue starts empty",
        ),
    )
}

NESTED_STACK = "AWS::CloudFormation::Stack"


def is_stateful(resource_type: str) -> bool:
    return resource_type in STATEFUL
