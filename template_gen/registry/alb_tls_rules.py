"""TLS to the internal ALB (`security.alb_certificate_arn` and `security.alb_tls_hostname`, docs/security.md):
both or neither, and the certificate in the environment's own Region and partition, where the ALB is."""

from __future__ import annotations

import re
from collections.abc import Iterator

from template_gen.registry.context import EnvironmentContext
from template_gen.registry.rules import Finding

_ACM_ARN = re.compile(r"^arn:(aws[a-z-]*):acm:([a-z0-9-]+):")
_CERTIFICATE = ("security", "alb_certificate_arn")
_HOSTNAME = ("security", "alb_tls_hostname")


def partition_of(region: str) -> str:
    """The AWS partition a Region belongs to."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def alb_tls(ctx: EnvironmentContext) -> Iterator[Finding]:
    security = ctx.env.security
    arn, hostname = security.alb_certificate_arn, security.alb_tls_hostname
    if arn is None and hostname is None:
        return
    if hostname is None:
        yield Finding(
            _HOSTNAME,
            "required when security.alb_certificate_arn is set: the host name the certificate covers, which API "
            "Gateway sends as Host and checks the certificate against",
            related=(_CERTIFICATE,),
        )
    if arn is None:
        yield Finding(
            _CERTIFICATE,
            "required when security.alb_tls_hostname is set: the ACM certificate of the ALB's HTTPS listener",
            related=(_HOSTNAME,),
        )
        return
    match = _ACM_ARN.match(arn)
    if match is None:  # the field's pattern refuses it first
        return
    partition, region = match.groups()
    expected = partition_of(ctx.region)
    if partition != expected:
        yield Finding(
            _CERTIFICATE,
            f"the certificate is in the {partition} partition; the environment's Region {ctx.region} is in {expected}",
        )
    elif region != ctx.region:
        yield Finding(
            _CERTIFICATE,
            f"the ALB's certificate must be in the environment's Region ({ctx.region}); this one is in {region}",
            hint=f"request or import the certificate in ACM in {ctx.region} (ACM certificates are regional)",
        )
