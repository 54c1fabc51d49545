"""Model of an environment's `security:` block in `services/registry.yaml` (see docs/security.md)."""

from __future__ import annotations

from pydantic import Field

from template_gen.registry.types import Model


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
