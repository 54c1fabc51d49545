"""Service runtime options: secrets, exec, Graviton, commands, target-group options, rule conditions,
extra IAM, Lambda event sources. Rendering is covered by the runtime-options golden; these tests pin the
behaviour that matters and every refusal."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import PRICING, QUOTING, REGISTRY, make_project, run_cli
from synth_cases import CASES

GOLDEN = CASES["runtime-options"].folder / "expected" / "prod"


def golden(name: str) -> dict[str, Any]:
    return yaml.safe_load((GOLDEN / name).read_text())  # type: ignore[no-any-return]


def statements(resource: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in resource["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]}


def test_container_secrets_are_injected_and_readable_by_exactly_the_execution_role() -> None:
    res = golden("compute.yaml")["Resources"]
    secrets = {
        s["Name"]: s["ValueFrom"]
        for s in res["BillingTaskDefinition"]["Properties"]["ContainerDefinitions"][0]["Secrets"]
    }
    assert secrets["DB_PASSWORD"] == {
        "Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:ledger/prod/db:password::"
    }
    assert secrets["STRIPE_KEY"] == "arn:aws:secretsmanager:eu-central-1:123456789012:secret:ledger/stripe-AbC123"
    granted = statements(res["BillingExecutionRole"])
    assert granted["ReadSecretSecrets"]["Resource"] == [
        {
            "Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:ledger/prod/db-??????"
        },
        "arn:aws:secretsmanager:eu-central-1:123456789012:secret:ledger/stripe-AbC123",
    ]
    assert granted["ReadSecretSecretKeys"] == {
        "Sid": "ReadSecretSecretKeys", "Effect": "Allow", "Action": ["kms:Decrypt"],
        "Resource": ["arn:aws:kms:eu-central-1:123456789012:key/9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"],
    }  # fmt: skip
    assert "ReadSecretSecrets" not in statements(res["BillingTaskRole"])  # the app's role cannot read them


def test_exec_enables_the_service_logs_sessions_and_grants_the_agent_channels() -> None:
    res = golden("compute.yaml")["Resources"]
    assert res["BillingService"]["Properties"]["EnableExecuteCommand"] is True
    assert res["Cluster"]["Properties"]["Configuration"]["ExecuteCommandConfiguration"] == {
        "Logging": "OVERRIDE", "LogConfiguration": {"CloudWatchLogGroupName": {"Ref": "ExecSessionLogGroup"}},
    }  # fmt: skip
    granted = statements(res["BillingTaskRole"])
    assert granted["ExecChannels"]["Action"] == [
        "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
    ]  # fmt: skip
    assert granted["ExecSessionLogs"]["Resource"] == [{"Fn::GetAtt": ["ExecSessionLogGroup", "Arn"]}]
    assert granted["PublishMetrics"] == {
        "Sid": "PublishMetrics",
        "Effect": "Allow",
        "Action": ["cloudwatch:PutMetricData"],
        "Resource": ["*"],
    }


def test_graviton_command_entrypoint_target_group_and_rule_conditions() -> None:
    res = golden("compute.yaml")["Resources"]
    task = res["BillingTaskDefinition"]["Properties"]
    assert task["RuntimePlatform"] == {"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX"}
    container = task["ContainerDefinitions"][0]
    assert (container["Command"], container["EntryPoint"]) == (["serve", "--port", "8443"], ["/app/bin/billing"])
    attributes = {a["Key"]: a["Value"] for a in res["BillingTargetGroup"]["Properties"]["TargetGroupAttributes"]}
    assert attributes == {
        "deregistration_delay.timeout_seconds": "120", "slow_start.duration_seconds": "60", "stickiness.enabled": "true",
        "stickiness.lb_cookie.duration_seconds": "3600", "stickiness.type": "lb_cookie",
    }  # fmt: skip
    assert res["BillingListenerRule"]["Properties"]["Conditions"][1:] == [
        {"Field": "host-header", "HostHeaderConfig": {"Values": ["billing.internal.example"]}},
        {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Ledger-Version", "Values": ["2"]}},
    ]


def test_lambda_events_queue_with_dead_letters_and_exported_names() -> None:
    template = golden("compute.yaml")
    res = template["Resources"]
    function = res["ReportsFunction"]["Properties"]
    failures = {"Fn::GetAtt": ["ReportsFailedEventsQueue", "Arn"]}
    assert function["Events"]["Nightly"] == {
        "Type": "Schedule",
        "Properties": {
            "Name": "ledger-prod-reports-nightly", "Schedule": "cron(0 2 * * ? *)", "State": "ENABLED",
            "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600},
            "DeadLetterConfig": {"Arn": failures},
        },
    }  # fmt: skip
    assert function["Events"]["Payments"]["Properties"]["DeadLetterConfig"] == {"Arn": failures}
    assert function["DeadLetterQueue"] == {"Type": "SQS", "TargetArn": failures}
    assert function["EventInvokeConfig"] == {
        "MaximumRetryAttempts": 2, "DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": failures}},
    }  # fmt: skip
    assert statements(res["ReportsRole"])["SendFailedEvents"]["Resource"] == [failures]
    assert res["ReportsFailedEventsQueue"]["Properties"] == {
        "MessageRetentionPeriod": 14 * 86400, "SqsManagedSseEnabled": True, "Tags": res["ReportsFailedEventsQueue"]["Properties"]["Tags"],
    }  # fmt: skip
    policy = res["ReportsFailedEventsQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert [(s["Principal"], s["Action"], s["Resource"]) for s in policy] == [
        ({"Service": "events.amazonaws.com"}, ["sqs:SendMessage"], [failures])
    ]
    assert function["Events"]["Requests"]["Properties"]["Queue"] == {"Fn::GetAtt": ["ReportsRequestsQueue", "Arn"]}
    queue = res["ReportsRequestsQueue"]["Properties"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["ReportsRequestsDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 3,
    }
    assert queue["VisibilityTimeout"] == 6 * 120
    assert queue["SqsManagedSseEnabled"] is True
    assert statements(res["ReportsRole"])["ConsumeRequests"]["Resource"] == [
        {"Fn::GetAtt": ["ReportsRequestsQueue", "Arn"]}
    ]
    outputs = template["Outputs"]
    assert outputs["ReportsRequestsQueueUrl"]["Export"] == {"Name": "ledger-prod-reports-requests-queue-url"}
    assert outputs["ReportsPaymentsRuleArn"]["Value"] == {
        "Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/ledger-events/ledger-prod-reports-payments"
    }
    assert (
        function["Environment"]["Variables"]["WAREHOUSE_TOKEN_SSM_PARAMETER"] == "/ledger/prod/reports/warehouse-token"
    )
    assert (function["Architectures"], function["ReservedConcurrentExecutions"]) == (["arm64"], 5)
    assert function["Layers"][0] == {"Ref": "PowertoolsLayerArnArm64"}
    root = golden("template.yaml")["Resources"]["ComputeStack"]["Properties"]["Parameters"]
    assert root["PowertoolsLayerArnArm64"] == "/aws/service/powertools/python/arm64/python3.13/3.37.0"


def test_a_function_without_a_route_has_no_api_and_is_in_the_catalog_without_a_path() -> None:
    assert "ReportsFunctionArn" not in golden("api.yaml").get("Parameters", {})
    catalog = yaml.safe_load((GOLDEN / "catalog/platform/catalog.json").read_text())
    reports = next(s for s in catalog["services"] if s["name"] == "reports")
    assert (reports["base_path"], reports["exposure"]) == (None, [])


def q(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(QUOTING), **changes}


JOB = {"kind": "lambda", "events": {"tick": {"schedule": "rate(5 minutes)"}}}
JOB_CODE = {"functions/job": "def lambda_handler(event, context):\n    return {}\n"}

BAD = [
    (
        "unknown_secret_source",
        {"quoting": q(secrets={"TOKEN": {"vault": "kv/token"}})},
        [
            "services/quoting/service.yaml: secrets.TOKEN.vault: unknown field 'vault'",
            "    hint: allowed fields: ssm, secrets_manager, key, kms_key_arn",
        ],
    ),
    (
        "secret_without_source",
        {"quoting": q(secrets={"TOKEN": {"key": "password"}})},
        [
            "services/quoting/service.yaml: secrets.TOKEN: needs exactly one source: ssm or secrets_manager",
            "    hint: e.g. {ssm: /acme/quoting/api-token} or {secrets_manager: acme/db, key: password}",
        ],
    ),
    (
        "cron_that_does_not_parse",
        {"job": {**JOB, "events": {"tick": {"schedule": "cron(0 2 * * *)"}}}},
        [
            "services/job/service.yaml: events.tick.schedule: 'cron(0 2 * * *)' has 5 fields; EventBridge cron "
            "expressions have 6: minutes hours day-of-month month day-of-week year"
        ],
    ),
    (
        "six_listener_condition_values",
        {
            "quoting": q(
                alb={
                    "priority": 10,
                    "conditions": [
                        {"host_header": ["a.example", "b.example"]},
                        {"http_header": {"name": "X-V", "values": ["1", "2"]}},
                    ],
                }
            )
        },
        [
            "services/quoting/service.yaml: alb.conditions: the listener rule would have 6 condition values (path "
            "patterns 2, host headers 2, HTTP header values 2); an ALB rule allows at most 5"
        ],
    ),
    (
        "too_many_path_patterns_is_one_problem",
        {"quoting": q(alb={"priority": 10, "path_patterns": ["/quoting*", *(f"/p{n}/*" for n in range(5))]})},
        [
            "services/quoting/service.yaml: alb.path_patterns: the listener rule would have 6 condition values "
            "(path patterns 6, host headers 0, HTTP header values 0); an ALB rule allows at most 5"
        ],
    ),
    (
        "wildcard_action",
        {"quoting": q(iam=[{"actions": ["s3:*"], "resources": ["arn:aws:s3:::b/*"]}])},
        [
            "services/quoting/service.yaml: iam[0].actions[0]: 's3:*' grants every action; list the actions the service needs"
        ],
    ),
    (
        "wildcard_resource_without_acknowledgement",
        {"quoting": q(iam=[{"actions": ["cloudwatch:PutMetricData"], "resources": ["*"]}])},
        [
            "services/quoting/service.yaml: iam[0].resources[0]: '*' applies the actions to every resource",
            "    hint: name the resources' ARNs, or set acknowledge_wildcard_resource: true for actions that have no "
            "resource-level permissions",
        ],
    ),
    (
        "function_with_nothing_to_invoke_it",
        {"job": {"kind": "lambda"}},
        [
            "services/job/service.yaml: events: the function has no API route and no events, so nothing would invoke it",
            "    hint: add api: {base_path: ...} or an event (schedule, sqs, eventbridge)",
        ],
    ),
    (
        "queue_visibility_shorter_than_the_function",
        {"job": {**JOB, "timeout_seconds": 60, "events": {"work": {"sqs": {"visibility_timeout_seconds": 30}}}}},
        [
            "services/job/service.yaml: events.work.sqs.visibility_timeout_seconds: 30s is shorter than the "
            "function's timeout (60s); Lambda refuses such a queue"
        ],
    ),
    (
        "slow_start_below_thirty_seconds",
        {"quoting": q(target_group={"slow_start_seconds": 10})},
        ["services/quoting/service.yaml: target_group.slow_start_seconds: 10 must be 0 (off) or 30..900"],
    ),
    (
        "exposed_service_without_base_path",
        {"quoting": q(api={"exposure": "public"})},
        ["services/quoting/service.yaml: api.base_path: required field is missing"],
    ),
    (
        # The file is valid on its own; the dev override exposes it without a base path. The problem
        # belongs to the override, and the service is not silently left out of dev.
        "override_breaks_a_field_it_does_not_set",
        {"job": {**JOB, "environments": {"dev": {"api": {"exposure": "public"}}}}},
        ["services/job/service.yaml: environments.dev.api.base_path: required field is missing"],
    ),
]


@pytest.mark.parametrize(("services", "expected"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_runtime_option_bad_input_is_refused_exactly(
    tmp_path: Path, services: dict[str, Any], expected: list[str]
) -> None:
    registry = copy.deepcopy(REGISTRY)
    all_services = {"quoting": QUOTING, "product-pricing": PRICING, **services}
    registry["environments"]["dev"]["services"] = sorted(all_services)
    project = make_project(tmp_path, registry, all_services, JOB_CODE)
    result = run_cli("validate", "--env", "dev", project=project)
    assert result.code == 1
    assert result.err.splitlines()[:-1] == expected
