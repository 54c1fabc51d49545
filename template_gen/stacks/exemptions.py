"""Documented exceptions to the rules of the scanners platform teams run (checkov, the AWS Guard Rules
Registry, the Control Tower proactive controls, cfn-lint's serverless rules): each finding that remains by
design is suppressed in the generated resource's Metadata, with its reason, so a user's own scan comes
back clean and every exception is explained. docs/security.md lists them
(`python -m template_gen.stacks.exemptions` prints the table).

An exemption applies to a resource only while its condition holds: a log group encrypted with the
environment's key, a production load balancer or a Lambda with reserved concurrency is not exempted."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from template_gen import naming

Props = dict[str, Any]


def _always(_: Props) -> bool:
    return True


@dataclass(frozen=True)
class Exemption:
    types: tuple[str, ...]
    checkov: tuple[str, ...]
    guard: tuple[str, ...]  # Guard Rules Registry and Control Tower rule names
    reason: str
    applies: Callable[[Props], bool] = _always
    id_suffixes: tuple[str, ...] = ()  # when set, only resources whose logical ID ends with one of them
    cfn_lint: tuple[str, ...] = ()  # cfn-lint rule ids (the serverless rules of cfn-lint-serverless)


def _no_kms(key: str) -> Callable[[Props], bool]:
    return lambda props: key not in props


def _short_retention(props: Props) -> bool:
    days = props.get("RetentionInDays")
    return not isinstance(days, int) or days < 365


def _unprotected_lb(props: Props) -> bool:
    attributes = {a.get("Key"): a.get("Value") for a in props.get("LoadBalancerAttributes", [])}
    return attributes.get("deletion_protection.enabled") != "true"


def _passes_tls(props: Props) -> bool:
    """The NLB's TCP listener with TLS to the ALB: it passes TLS through, on 443 and up (naming.nlb_tls_port)."""
    port = props.get("Port")
    return props.get("Protocol") == "TCP" and isinstance(port, int) and port >= naming.NLB_TLS_FIRST_PORT


def _plain_http_hop(props: Props) -> bool:
    """A listener of the hop behind API Gateway without TLS to the ALB: the ALB's HTTP one or the NLB's TCP one."""
    return props.get("Protocol") == "HTTP" or (props.get("Protocol") == "TCP" and not _passes_tls(props))


def _versioned(props: Props) -> bool:
    return bool(props.get("VersioningConfiguration", {}).get("Status") == "Enabled")


def _open_method(props: Props) -> bool:
    return props.get("AuthorizationType") == "NONE" and props.get("HttpMethod") != "OPTIONS"


def _only_synchronous(props: Props) -> bool:
    events = props.get("Events", {}).values()
    return "DeadLetterQueue" not in props and not any(e.get("Type") in ("Schedule", "EventBridgeRule") for e in events)


def _no_reserved_concurrency(props: Props) -> bool:
    return "ReservedConcurrentExecutions" not in props


# Actions that support no resource-level permission, so `Resource: "*"` is their only form.
_RESOURCELESS = frozenset(
    [
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:GetSamplingStatisticSummaries",
        "ecr:GetAuthorizationToken",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "servicediscovery:DiscoverInstances",
        # ECS Exec's channels (the Message Gateway Service defines no resource type).
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
        "cloudwatch:PutMetricData",  # limited by the cloudwatch:namespace condition key, not by resource
    ]
)


def _wildcards_only_for_resourceless_actions(props: Props) -> bool:
    for policy in props.get("Policies", []):
        for statement in policy.get("PolicyDocument", {}).get("Statement", []):
            resources = statement.get("Resource", [])
            actions = statement.get("Action", [])
            wildcard = "*" in ([resources] if isinstance(resources, str) else resources)
            if wildcard and not set([actions] if isinstance(actions, str) else actions) <= _RESOURCELESS:
                return False
    return True


# The users Control Tower's CT.ECS.PR.3 takes for root.
_ROOT_USERS = re.compile(r"^(0|root)(:.*)?$")


def _runs_as_root(container: Props) -> bool:
    user = container.get("User")
    return user is None or _ROOT_USERS.match(str(user)) is not None


def _some_container(fails: Callable[[Props], bool]) -> Callable[[Props], bool]:
    return lambda props: any(fails(c) for c in props.get("ContainerDefinitions", []))


_LOG_GROUP = ("AWS::Logs::LogGroup",)
_TASK = ("AWS::ECS::TaskDefinition",)
_LB = ("AWS::ElasticLoadBalancingV2::LoadBalancer",)
_LISTENER = ("AWS::ElasticLoadBalancingV2::Listener",)
_FUNCTION = ("AWS::Serverless::Function",)
_TABLE = ("AWS::DynamoDB::Table",)
_BUCKET = ("AWS::S3::Bucket",)

EXEMPTIONS: tuple[Exemption, ...] = (
    # --- logs
    Exemption(
        _LOG_GROUP,
        ("CKV_AWS_158",),
        ("CLOUDWATCH_LOG_GROUP_ENCRYPTED", "cloudwatch_log_group_encrypted_check"),
        "CloudWatch Logs encrypts every log group at rest; a customer-managed key is the option logs_kms_key_arn.",
        _no_kms("KmsKeyId"),
    ),
    Exemption(
        _LOG_GROUP,
        (),
        ("cloudwatch_log_group_retention_period_check",),
        "Retention is the registry's log_retention_days (per environment and service); 365 days or more is an "
        "option, not a default, because logs are billed by the GB-month.",
        _short_retention,
    ),
    Exemption(
        _LOG_GROUP,
        (),
        ("CW_LOGGROUP_RETENTION_PERIOD_CHECK",),
        "Retention is the FlowLogRetentionDays parameter, which the registry restricts to the values "
        "CloudWatch Logs accepts; the rule cannot resolve a parameter.",
        lambda props: isinstance(props.get("RetentionInDays"), dict),
    ),
    # --- load balancers
    Exemption(
        _LB,
        (),
        ("ELB_DELETION_PROTECTION_ENABLED", "elbv2_deletion_protection_enabled_check"),
        "Deletion protection is on in production environments (security.production); other environments are "
        "meant to be torn down.",
        _unprotected_lb,
    ),
    Exemption(
        _LB,
        ("CKV_AWS_91",),
        ("ELBV2_ACCESS_LOGGING_RULE", "elbv2_logging_enabled_check"),
        "The NLB has only TCP listeners, for which Elastic Load Balancing writes no access logs; its traffic is "
        "in the VPC flow logs and, request by request, in the ALB's access logs and API Gateway's.",
        lambda props: props.get("Type") == "network",
    ),
    Exemption(
        _LISTENER,
        ("CKV_AWS_2", "CKV_AWS_103"),
        ("ELBV2_LISTENER_PROTOCOL_RULE", "ELBV2_LISTENER_SSL_POLICY_RULE", "alb_http_to_https_redirection_check"),
        "An internal hop behind API Gateway, which terminates TLS: the NLB is reached only through the VPC "
        "link and the ALB only from the NLB's (or VPC link's) security group.",
        _plain_http_hop,
    ),
    Exemption(
        _LISTENER,
        (),
        ("ELBV2_LISTENER_SSL_POLICY_RULE",),
        "With TLS to the ALB (security.alb_certificate_arn) the NLB's TCP listener passes TLS through to the "
        "ALB's HTTPS listener, which holds the certificate and the TLS policy; a TCP listener takes no SslPolicy.",
        _passes_tls,
    ),
    # --- API Gateway
    Exemption(
        ("AWS::ApiGateway::Stage",),
        ("CKV_AWS_120",),
        ("API_GW_CACHE_ENABLED_AND_ENCRYPTED",),
        "Responses are per consumer and mostly dynamic; a stage cache would need every cache key chosen per "
        "route, so it is left off rather than risk serving one consumer's response to another.",
        lambda props: props.get("CacheClusterEnabled") is not True,
    ),
    Exemption(
        ("AWS::ApiGateway::Stage",),
        (),
        ("API_GW_CACHE_ENABLED_AND_ENCRYPTED",),
        "The stage has a cache cluster (api.cache) and encrypts every method's cache data, but caches only the "
        "GET routes that opt in (api.routes[].cache), keyed by the caller's identity: caching every method "
        "would serve one consumer's answer to another.",
        lambda props: (
            props.get("CacheClusterEnabled") is True
            and not all(s.get("CachingEnabled") is True for s in props.get("MethodSettings", []))
        ),
    ),
    Exemption(
        ("AWS::ApiGateway::Method",),
        ("CKV_AWS_59",),
        ("API_GW_METHOD_AUTHORIZATION_TYPE_RULE",),
        "The service's registry entry declares this route public on purpose (api.auth: none).",
        _open_method,
    ),
    Exemption(
        ("AWS::Lambda::Permission",),
        (),
        ("lambda_function_public_access_prohibited_check",),
        "SourceArn limits the permission to this REST API (an Fn::Sub of its id the rule cannot resolve).",
        lambda props: props.get("Principal") == "apigateway.amazonaws.com" and "SourceArn" in props,
    ),
    # --- Lambda
    Exemption(
        _FUNCTION,
        ("CKV_AWS_116",),
        (),
        "Invoked synchronously (API Gateway, the authorizer) or by a queue, where a dead-letter queue has no "
        "effect: the caller sees the error, and a queue's failures go to its own redrive queue. Functions "
        "with schedule or EventBridge events get one (stacks.async_failures).",
        _only_synchronous,
    ),
    Exemption(
        _FUNCTION,
        (),
        (),
        "The function writes to its own log group, with retention, named in LoggingConfig.LogGroup; the rule "
        "looks only for a group named /aws/lambda/<function name>.",
        lambda props: "LoggingConfig" in props,
        cfn_lint=("WS1004",),
    ),
    Exemption(
        _FUNCTION,
        ("CKV_AWS_117",),
        (),
        "Calls only AWS APIs (DynamoDB, API Gateway, SSM) over TLS with IAM; a VPC would add network "
        "interfaces and NAT traffic without narrowing who can reach it.",
        lambda props: "VpcConfig" not in props,  # a kind: lambda service with vpc: true
    ),
    Exemption(
        _FUNCTION,
        ("CKV_AWS_115",),
        (),
        "Reserved concurrency is taken from the account's pool; it is an option (the API key validator's "
        "platform_functions.api_key_validator.reserved_concurrency), and API Gateway throttling bounds the rest.",
        _no_reserved_concurrency,
    ),
    Exemption(
        _FUNCTION,
        ("CKV_AWS_173",),
        (),
        "Environment variables hold names and settings, never secrets (secrets come from Secrets Manager or "
        "SSM at run time); Lambda encrypts them at rest with its service key.",
        lambda props: "KmsKeyArn" not in props,
    ),
    Exemption(
        ("AWS::IAM::Role",),
        (),
        ("IAM_NO_INLINE_POLICY_CHECK",),
        "One role per function or task, its inline policy scoped to that workload's resources: a managed "
        "policy would be shared state with nothing to share.",
    ),
    Exemption(
        ("AWS::IAM::Role",),
        (),
        ("IAM_POLICYDOCUMENT_NO_WILDCARD_RESOURCE",),
        "Resource '*' appears only for actions that support no resource-level permission (X-Ray trace "
        "writes, ecr:GetAuthorizationToken; for a function in the VPC, the EC2 Describe calls Lambda makes and "
        "Cloud Map's DiscoverInstances; for ECS Exec, the ssmmessages channel actions; cloudwatch:PutMetricData).",
        _wildcards_only_for_resourceless_actions,
    ),
    # --- data
    Exemption(
        _TABLE,
        ("CKV_AWS_119",),
        ("DYNAMODB_TABLE_ENCRYPTED_KMS",),
        "Encrypted at rest with DynamoDB's key; the consumers table holds key hashes, never keys.",
        lambda props: "KMSMasterKeyId" not in props.get("SSESpecification", {}),
    ),
    Exemption(
        _TABLE,
        ("CKV_AWS_28",),
        ("DYNAMODB_PITR_ENABLED", "dynamodb_table_pitr_enabled_check"),
        "The idempotency table holds only records that expire within the hour; there is nothing to restore.",
        lambda props: "PointInTimeRecoverySpecification" not in props,
    ),
    Exemption(
        ("AWS::SQS::Queue",),
        ("CKV_AWS_27",),
        ("SQS_QUEUE_KMS_MASTER_KEY_ID_RULE",),
        "Encrypted at rest with SQS-managed keys (SqsManagedSseEnabled); a customer-managed key would have to "
        "admit every producer (EventBridge, Lambda) in its policy.",
        lambda props: props.get("SqsManagedSseEnabled") is True and "KmsMasterKeyId" not in props,
    ),
    Exemption(
        ("AWS::SQS::Queue",),
        (),
        ("sqs_dlq_check",),
        "This queue is itself where failed messages or events end (a dead-letter queue); nothing comes after it.",
        lambda props: "RedrivePolicy" not in props,
        ("DeadLetterQueue", "FailedEventsQueue"),
        cfn_lint=("ES6000",),
    ),
    Exemption(
        ("AWS::ECR::Repository",),
        ("CKV_AWS_136",),
        (),
        "Images are encrypted at rest with AES-256 (ECR's default); they are not secret.",
        lambda props: props.get("EncryptionConfiguration", {}).get("EncryptionType") != "KMS",
    ),
    Exemption(
        ("AWS::ECR::Repository",),
        (),
        ("CFN_NO_EXPLICIT_RESOURCE_NAMES",),
        "The repository name is what pipelines push to; it comes from the registry and is unique per environment.",
    ),
    # --- the observability stage, the consumer upkeep and the consumers table
    Exemption(
        ("AWS::CloudWatch::Alarm",),
        (),
        ("CFN_NO_EXPLICIT_RESOURCE_NAMES",),
        "Alarm names are fixed (<platform>-<env>-<subject>-<alarm>): an ECS service names its rollback alarms "
        "before they exist (DeploymentConfiguration.Alarms), and runbooks find them by name.",
    ),
    Exemption(
        ("AWS::DynamoDB::Table",),
        (),
        ("CFN_NO_EXPLICIT_RESOURCE_NAMES",),
        "The consumers table is named <platform>-<env>-consumers so that a re-created environment finds its "
        "consumers again (it is kept on delete; docs/deploying.md, reattaching the consumers table).",
        id_suffixes=("ConsumersTable",),
    ),
    Exemption(
        ("AWS::KMS::Key",),
        (),
        ("kms_create_grant_aws_service_check",),
        "The alarm topic's key keeps the default statement that delegates its use to the account's IAM "
        "policies; CloudWatch and SNS get only kms:Decrypt and kms:GenerateDataKey*, no grants.",
        id_suffixes=("AlarmTopicKey",),
    ),
    Exemption(
        ("AWS::SNS::Subscription",),
        (),
        (),
        "Alarm notifications go to people (email, an HTTPS on-call hook): SNS retries a failed delivery, and the "
        "alarm's state stays in CloudWatch; a dead-letter queue would hold notifications nobody reads.",
        cfn_lint=("ES7000",),
    ),
    Exemption(
        _FUNCTION,
        ("CKV_AWS_116",),
        (),
        "The consumer reconciler is idempotent and runs every hour: a failed run is retried by the next one, "
        "and its Errors alarm notifies the alarm topic.",
        id_suffixes=("ReconcilerFunction",),
        cfn_lint=("ES1007", "ES4000"),
    ),
    # --- the access log bucket
    Exemption(
        ("AWS::S3::BucketPolicy",),
        (),
        ("S3_BUCKET_SSL_REQUESTS_ONLY",),
        'The policy denies every request without TLS, with the condition value written as the string "false" '
        "that the Control Tower rule (CT.S3.PR.8) requires; this rule compares it with a boolean.",
        lambda props: "aws:SecureTransport" in json.dumps(props),
    ),
    Exemption(
        _BUCKET,
        ("CKV_AWS_18",),
        ("S3_BUCKET_LOGGING_ENABLED", "s3_bucket_logging_enabled_check"),
        "This is the log bucket: logging its own access would need another bucket, logged in turn.",
    ),
    Exemption(
        _BUCKET,
        ("CKV_AWS_21",),
        (
            "S3_BUCKET_VERSIONING_ENABLED",
            "S3_BUCKET_DEFAULT_LOCK_ENABLED",
            "s3_bucket_versioning_enabled_check",
            "s3_bucket_object_lock_enabled_check",
        ),
        "ALB access logs are written once and expire by lifecycle; versioning and Object Lock would keep "
        "every object past its expiry.",
        lambda props: not _versioned(props),
    ),
    Exemption(
        _BUCKET,
        (),
        ("S3_BUCKET_DEFAULT_LOCK_ENABLED", "s3_bucket_object_lock_enabled_check"),
        "The log bucket is versioned (security.log_bucket_versioning) without Object Lock, which is its own "
        "option (security.log_bucket_object_lock_days): locked logs cannot be deleted, nor the bucket emptied, "
        "before their retention ends.",
        lambda props: _versioned(props) and props.get("ObjectLockEnabled") is not True,
    ),
    Exemption(
        _BUCKET,
        (),
        ("S3_BUCKET_REPLICATION_ENABLED", "s3_event_notifications_enabled_check"),
        "Access logs are operational data kept in their Region for a limited time; nothing consumes events.",
    ),
    Exemption(
        _BUCKET,
        (),
        ("s3_bucket_default_encryption_kms_check",),
        "ALB access logs can only be delivered to a bucket encrypted with S3-managed keys (SSE-S3).",
    ),
    Exemption(
        _BUCKET,
        (),
        ("S3_BUCKET_NO_PUBLIC_RW_ACL",),
        "ACLs are disabled (ObjectOwnership: BucketOwnerEnforced) and public access is blocked; the rule "
        "fails only because the legacy AccessControl property is absent.",
    ),
    # --- network
    Exemption(
        ("AWS::EC2::Route",),
        (),
        ("NO_UNRESTRICTED_ROUTE_TO_IGW",),
        "The public subnets' default route: they hold only the NAT gateways, and nothing is internet-facing.",
        lambda props: "GatewayId" in props,
    ),
    Exemption(
        ("AWS::EC2::SecurityGroup",),
        (),
        ("EC2_SECURITY_GROUP_EGRESS_OPEN_TO_WORLD_RULE", "SECURITY_GROUP_EGRESS_ALL_PROTOCOLS_RULE"),
        "ECS tasks pull images and call AWS APIs and their own dependencies through the NAT gateways.",
        lambda props: any(r.get("CidrIp") == "0.0.0.0/0" for r in props.get("SecurityGroupEgress", [])),
    ),
    Exemption(
        ("AWS::EC2::SecurityGroup",),
        (),
        ("SECURITY_GROUP_EGRESS_PORT_RANGE_RULE",),
        "The egress rule that matches nothing (ICMP type 252, code 86, to 255.255.255.255/32, as the AWS CDK "
        "writes it) replaces the default allow-all egress; the rule reads ICMP type and code as a port range.",
        lambda props: any(r.get("CidrIp") == "255.255.255.255/32" for r in props.get("SecurityGroupEgress", [])),
    ),
    Exemption(
        ("AWS::ECS::Service",),
        (),
        ("ecs_service_assign_public_ip_disabled_check",),
        "AssignPublicIp is the AssignPublicIp parameter: DISABLED, except for a network with no private subnet "
        "(lookup or default mode), where synth warns.",
        lambda props: isinstance(
            props.get("NetworkConfiguration", {}).get("AwsvpcConfiguration", {}).get("AssignPublicIp"), dict
        ),
    ),
    # --- task definitions: each rule checks every container (app, sidecars, init containers, X-Ray), and is
    # exempted only while one of them fails it.
    Exemption(
        _TASK,
        (),
        ("ecs_containers_readonly_access_check",),
        "Whether the application can run with a read-only root filesystem depends on its image: it is the "
        "option readonly_root_filesystem (and readonly_root_filesystem of each sidecar and init container; "
        "the X-Ray sidecar is read-only).",
        _some_container(lambda c: c.get("ReadonlyRootFilesystem") is not True),
    ),
    Exemption(
        _TASK,
        (),
        ("ecs_task_definition_nonroot_user_check",),
        "Which non-root user the application can run as depends on its image: it is the option user (and user "
        "of each sidecar and init container; the X-Ray sidecar runs as 1337).",
        _some_container(_runs_as_root),
    ),
    Exemption(
        _TASK,
        (),
        ("ecs_task_definition_memory_hard_limit_check",),
        "The task's memory is the containers' hard limit; a per-container limit is the option memory_limit_mib "
        "(of the app, which also limits the X-Ray sidecar, and of each sidecar and init container).",
        _some_container(lambda c: not isinstance(c.get("Memory"), int) or c["Memory"] < 4),
    ),
)


def for_resource(resource_type: str, props: Props, logical_id: str = "") -> list[Exemption]:
    return [
        e
        for e in EXEMPTIONS
        if resource_type in e.types and (not e.id_suffixes or logical_id.endswith(e.id_suffixes)) and e.applies(props)
    ]


def annotate(template: dict[str, Any]) -> dict[str, Any]:
    """Add each resource's exemptions to its Metadata: checkov skips with the reason as comment, cfn-guard
    SuppressedRules, cfn-lint ignore_checks, and under `template-gen.exemptions` the reason of each rule
    checkov does not check."""
    for logical_id, resource in template.get("Resources", {}).items():
        found = for_resource(resource.get("Type", ""), resource.get("Properties", {}), logical_id)
        if not found:
            continue
        metadata = resource.setdefault("Metadata", {})
        skips = [{"id": rule, "comment": e.reason} for e in found for rule in e.checkov]
        if skips:
            metadata["checkov"] = {"skip": skips}
        guard = [rule for e in found for rule in e.guard]
        if guard:
            metadata["guard"] = {"SuppressedRules": guard}
        ignored = [rule for e in found for rule in e.cfn_lint]
        if ignored:
            metadata["cfn-lint"] = {"config": {"ignore_checks": ignored}}
        # The reasons of the exemptions checkov does not see (the others' are its comments), each once.
        reasons = {rule: e.reason for e in found if not e.checkov for rule in (*e.guard, *e.cfn_lint)}
        if reasons:
            metadata["template-gen"] = {"exemptions": reasons}
    return template


def markdown(exemptions: Iterable[Exemption] = EXEMPTIONS) -> str:
    """The table docs/security.md carries."""
    lines = ["| resources | checkov | cfn-guard | cfn-lint | reason |", "| --- | --- | --- | --- | --- |"]
    for e in exemptions:
        types = "<br>".join(f"`{t}`" for t in e.types)
        if e.id_suffixes:
            types += " named " + " or ".join(f"`*{suffix}`" for suffix in e.id_suffixes)
        checkov = "<br>".join(e.checkov) or "-"
        guard = "<br>".join(e.guard) or "-"
        cfn_lint = "<br>".join(e.cfn_lint) or "-"
        lines.append(f"| {types} | {checkov} | {guard} | {cfn_lint} | {e.reason} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(markdown(), end="")
