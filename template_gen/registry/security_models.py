"""Model of an environment's `security:` block in `services/registry.yaml` (see docs/security.md)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from template_gen.registry.types import Model, Range


class SecuritySettings(Model):
    production: bool = Field(
        False,
        description="Production hardening: load balancer deletion protection, and a synth warning when a public "
        "API has no web ACL.",
    )
    forward_api_key: bool = Field(
        False,
        description="Pass the caller's raw x-api-key header on to container services (by default it is replaced "
        "with 'redacted': the gateway has checked it, and backends have no use for the secret).",
    )
    waf_web_acl_arn: str | None = Field(
        None,
        pattern=r"^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional/webacl/[A-Za-z0-9_-]+/[a-f0-9-]+$",
        description="Regional AWS WAF web ACL associated with the public API's stage.",
    )
    baseline_web_acl: bool = Field(
        False,
        description="Create a web ACL for the public API's stage: AWS managed rule groups (common rule set, known "
        "bad inputs, IP reputation) and a rate-based rule per client IP.",
    )
    baseline_rate_limit: Annotated[int, Range(10, 2_000_000_000)] = Field(
        2000, description="Baseline web ACL: requests per client IP in any 5 minutes before it is blocked."
    )
    alb_certificate_arn: str | None = Field(
        None,
        pattern=r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+$",
        description="TLS to the internal ALB: an ACM certificate in the environment's Region, issued by a public "
        "certificate authority (API Gateway does not trust ACM Private CA), for an HTTPS listener on the ALB; the "
        "API Gateway integrations then connect with HTTPS. Needs alb_tls_hostname (docs/security.md).",
    )
    alb_tls_hostname: str | None = Field(
        None,
        max_length=253,
        pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
        description="Host name the ALB's certificate covers: the host of every VPC-link integration URI, which "
        "API Gateway sends as Host and checks the certificate against. It need not resolve (the VPC link carries "
        "the connection). Needs alb_certificate_arn.",
    )

    @model_validator(mode="after")
    def _one_web_acl(self) -> SecuritySettings:
        if self.waf_web_acl_arn and self.baseline_web_acl:
            raise ValueError("set waf_web_acl_arn or baseline_web_acl, not both (the public stage takes one web ACL)")
        return self
