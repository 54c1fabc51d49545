"""Model of an environment's `security:` block in `services/registry.yaml` (see docs/security.md)."""

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from template_gen.registry.types import Model, Range

# A key ARN: an alias ARN (alias/...) or a key id would not do for the IAM statements that name the key.
KMS_KEY_ARN = r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$"


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

    kms_key_arn: str | None = Field(
        None,
        pattern=KMS_KEY_ARN,
        description="Customer-managed KMS key (a key ARN, not an alias) for the DynamoDB tables, ECR repositories, SQS "
        "queues and Lambda environment variables the platform creates; its policy must admit EventBridge "
        "(docs/security.md). Repositories keep the encryption they were created with.",
    )
    log_bucket_versioning: bool = Field(
        False, description="Versioning on the ALB access log bucket, with noncurrent versions expired by lifecycle."
    )
    log_bucket_noncurrent_days: Annotated[int, Range(1, 3650)] = Field(
        30, description="Days a log bucket object's noncurrent (overwritten or expired) version is kept."
    )
    log_bucket_object_lock_days: Annotated[int, Range(1, 3650)] | None = Field(
        None,
        description="S3 Object Lock on the log bucket with this default retention in days (needs "
        "log_bucket_versioning); a locked object cannot be deleted before it ends, nor the bucket emptied.",
    )
    log_bucket_object_lock_mode: Literal["GOVERNANCE", "COMPLIANCE"] = Field(
        "GOVERNANCE",
        description="GOVERNANCE: principals with s3:BypassGovernanceRetention can still delete; COMPLIANCE: nobody "
        "can, not even the account root, until the retention ends.",
    )

    @model_validator(mode="after")
    def _lock_needs_versioning(self) -> Self:
        if self.log_bucket_object_lock_days is not None and not self.log_bucket_versioning:
            raise ValueError(
                "log_bucket_object_lock_days needs log_bucket_versioning: true (S3 Object Lock works only on a "
                "versioned bucket)"
            )
        return self

    @model_validator(mode="after")
    def _one_web_acl(self) -> Self:
        if self.waf_web_acl_arn and self.baseline_web_acl:
            raise ValueError("set waf_web_acl_arn or baseline_web_acl, not both (the public stage takes one web ACL)")
        return self
