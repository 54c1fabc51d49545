"""Deploy-time failures of an environment's encryption and log bucket settings (`security:`), refused
before anything is written."""

from __future__ import annotations

from collections.abc import Iterator

from template_gen.registry.context import EnvironmentContext
from template_gen.registry.rules import Finding


def key_in_the_environments_region(ctx: EnvironmentContext) -> Iterator[Finding]:
    """DynamoDB, ECR, SQS and Lambda accept only a KMS key of their own Region: a key elsewhere fails the
    first table or repository CloudFormation creates."""
    key = ctx.env.security.kms_key_arn
    if key is None:
        return
    region = key.split(":")[3]
    if region != ctx.region:
        yield Finding(
            ("security", "kms_key_arn"),
            f"the key is in {region}, but the environment deploys to {ctx.region}: DynamoDB, ECR, SQS and Lambda "
            "take only a key of their own Region",
            hint="create the key (or a multi-Region replica) in the environment's Region and name that one",
        )


def log_bucket_settings_need_the_bucket(ctx: EnvironmentContext) -> Iterator[Finding]:
    """Versioning and Object Lock of the log bucket mean nothing without access logs (there is no bucket)."""
    security = ctx.env.security
    if ctx.env.network.alb.access_logs or not security.log_bucket_versioning:
        return
    yield Finding(
        ("security", "log_bucket_versioning"),
        "there is no log bucket to version: network.alb.access_logs is false",
        hint="remove the log_bucket_* settings, or turn access logs on",
        related=(("network", "alb", "access_logs"),),
    )
