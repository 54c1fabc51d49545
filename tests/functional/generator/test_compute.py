"""Compute stage behaviour: image tags, the DesiredCount trap, autoscaling, sidecars, Lambdas, options."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import PRICING, QUOTING, REGISTRY, make_project, run_cli

from template_gen import aws_data
from template_gen.pipeline import synthesize

AUTOSCALED = {"desired_count": 2, "autoscaling": {"min": 2, "max": 8, "cpu_target": 60, "requests_per_target": 500}}


def compute(
    tmp_path: Path,
    quoting: dict[str, Any] | None = None,
    registry: dict[str, Any] | None = None,
    env: str = "dev",
    image_tags: dict[str, str] | None = None,
    services: dict[str, Any] | None = None,
    functions: dict[str, str] | None = None,
) -> dict[str, Any]:
    services = services or {"quoting": {**copy.deepcopy(QUOTING), **(quoting or {})}, "product-pricing": PRICING}
    project = make_project(tmp_path, registry, services, functions)
    synthesize(project, env, image_tags=image_tags).write()
    return yaml.safe_load((project / "build" / env / "compute.yaml").read_text())  # type: ignore[no-any-return]


def resources(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]  # type: ignore[no-any-return]


def test_service_without_image_tag_runs_zero_tasks_and_names_the_missing_image(tmp_path: Path) -> None:
    res = resources(compute(tmp_path, AUTOSCALED))
    assert res["QuotingService"]["Properties"]["DesiredCount"] == 0
    image = res["QuotingTaskDefinition"]["Properties"]["ContainerDefinitions"][0]["Image"]
    assert image == {"Fn::Join": ["", [{"Fn::GetAtt": ["QuotingRepository", "RepositoryUri"]}, ":", "no-image-yet"]]}
    # No autoscaling until there is something to scale: it would start tasks that cannot pull an image.
    assert "QuotingScalableTarget" not in res


def test_image_tag_from_the_command_line_starts_the_service(tmp_path: Path) -> None:
    res = resources(compute(tmp_path, {"desired_count": 3}, image_tags={"quoting": "1.4.2"}))
    assert res["QuotingService"]["Properties"]["DesiredCount"] == 3
    image = res["QuotingTaskDefinition"]["Properties"]["ContainerDefinitions"][0]["Image"]
    assert image["Fn::Join"][1][2] == "1.4.2"


def test_image_tag_from_an_environment_override(tmp_path: Path) -> None:
    quoting = {"environments": {"prod": {"image": {"tag": "2.0.0"}}}}
    dev = resources(compute(tmp_path / "dev", quoting))
    prod = resources(compute(tmp_path / "prod", quoting, env="prod"))
    assert dev["QuotingService"]["Properties"]["DesiredCount"] == 0
    assert prod["QuotingService"]["Properties"]["DesiredCount"] == 1
    assert prod["QuotingTaskDefinition"]["Properties"]["ContainerDefinitions"][0]["Image"]["Fn::Join"][1][2] == "2.0.0"


def test_autoscaled_service_leaves_desired_count_to_autoscaling(tmp_path: Path) -> None:
    compute(tmp_path, AUTOSCALED, image_tags={"quoting": "1.0.0"})  # its first release (see test_first_deploy.py)
    res = resources(compute(tmp_path, AUTOSCALED, image_tags={"quoting": "1.1.0"}))
    assert "DesiredCount" not in res["QuotingService"]["Properties"]
    target = res["QuotingScalableTarget"]["Properties"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 8)
    assert target["ResourceId"] == {
        "Fn::Join": ["/", ["service", {"Ref": "Cluster"}, {"Fn::GetAtt": ["QuotingService", "Name"]}]]
    }
    cpu = res["QuotingCpuScaling"]["Properties"]["TargetTrackingScalingPolicyConfiguration"]
    assert cpu["PredefinedMetricSpecification"] == {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}
    assert cpu["TargetValue"] == 60.0
    requests = res["QuotingRequestsScaling"]["Properties"]["TargetTrackingScalingPolicyConfiguration"]
    assert requests["PredefinedMetricSpecification"] == {
        "PredefinedMetricType": "ALBRequestCountPerTarget",
        "ResourceLabel": {
            "Fn::Join": ["/", [{"Ref": "AlbFullName"}, {"Fn::GetAtt": ["QuotingTargetGroup", "TargetGroupFullName"]}]]
        },
    }
    assert "QuotingMemoryScaling" not in res


def test_target_group_listener_rule_and_health_checks_follow_the_service(tmp_path: Path) -> None:
    quoting = {
        "health_check": {
            "path": "/quoting/ready",
            "interval_seconds": 15,
            "healthy_threshold": 2,
            "matcher": "200",
            "grace_period_seconds": 120,
            "container": {
                "command": ["CMD-SHELL", "curl -fs localhost:8080/quoting/ready"],
                "start_period_seconds": 20,
            },
        }
    }
    res = resources(compute(tmp_path, quoting))
    tg = res["QuotingTargetGroup"]["Properties"]
    assert (tg["TargetType"], tg["Port"], tg["HealthCheckPath"], tg["HealthCheckIntervalSeconds"]) == (
        "ip",
        8080,
        "/quoting/ready",
        15,
    )
    assert (tg["HealthyThresholdCount"], tg["Matcher"]) == (2, {"HttpCode": "200"})
    rule = res["QuotingListenerRule"]["Properties"]
    assert rule["Priority"] == 10
    assert rule["ListenerArn"] == {"Ref": "AlbListenerArn"}
    assert rule["Conditions"] == [
        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/quoting", "/quoting/*"]}}
    ]
    container = res["QuotingTaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    assert container["HealthCheck"] == {
        "Command": ["CMD-SHELL", "curl -fs localhost:8080/quoting/ready"],
        "Interval": 30, "Retries": 3, "StartPeriod": 20, "Timeout": 5,
    }  # fmt: skip
    service = res["QuotingService"]
    assert service["DependsOn"] == ["QuotingListenerRule"]
    assert service["Properties"]["HealthCheckGracePeriodSeconds"] == 120
    assert service["Properties"]["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {
        "Enable": True,
        "Rollback": True,
    }


def test_xray_sidecar_gets_its_container_permission_and_address(tmp_path: Path) -> None:
    res = resources(compute(tmp_path, {"xray": True}))
    app, sidecar = res["QuotingTaskDefinition"]["Properties"]["ContainerDefinitions"]
    assert {"Name": "AWS_XRAY_DAEMON_ADDRESS", "Value": "127.0.0.1:2000"} in app["Environment"]
    assert (sidecar["Name"], sidecar["Image"], sidecar["Essential"]) == (
        "xray-daemon",
        "public.ecr.aws/xray/aws-xray-daemon:3.x",
        False,
    )
    assert sidecar["PortMappings"] == [{"ContainerPort": 2000, "Protocol": "udp"}]
    statements = res["QuotingTaskRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert statements == [
        {
            "Sid": "WriteTraces", "Effect": "Allow", "Resource": ["*"],
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                       "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"],
        }
    ]  # fmt: skip
    assert "Policies" not in res["ProductPricingTaskRole"]["Properties"]  # no sidecar, no permissions


def test_execution_role_pulls_only_its_own_repository_and_writes_only_its_own_logs(tmp_path: Path) -> None:
    res = resources(compute(tmp_path))
    statements = res["QuotingExecutionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    by_sid = {s["Sid"]: s for s in statements}
    assert by_sid["WriteLogs"]["Resource"] == [{"Fn::GetAtt": ["QuotingLogGroup", "Arn"]}]
    assert by_sid["PullOwnImages"]["Resource"] == [{"Fn::GetAtt": ["QuotingRepository", "Arn"]}]
    assert by_sid["EcrLogin"] == {
        "Sid": "EcrLogin",
        "Effect": "Allow",
        "Action": ["ecr:GetAuthorizationToken"],
        "Resource": ["*"],
    }
    trust = res["QuotingExecutionRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_external_image_repository_has_no_ecr_repository(tmp_path: Path) -> None:
    quoting = {"image": {"repository": "public.ecr.aws/nginx/nginx", "tag": "1.27"}}
    res = resources(compute(tmp_path, quoting))
    assert "QuotingRepository" not in res
    assert (
        res["QuotingTaskDefinition"]["Properties"]["ContainerDefinitions"][0]["Image"]
        == "public.ecr.aws/nginx/nginx:1.27"
    )
    sids = [s["Sid"] for s in res["QuotingExecutionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]]
    assert sids == ["WriteLogs"]


def test_ecr_repository_options(tmp_path: Path) -> None:
    res = resources(compute(tmp_path, {"ecr": {"keep_images": 5, "immutable_tags": True, "scan_on_push": False}}))
    repo = res["QuotingRepository"]
    assert repo["DeletionPolicy"] == "RetainExceptOnCreate"
    props = repo["Properties"]
    assert props["RepositoryName"] == "acme/dev/quoting"
    assert props["ImageTagMutability"] == "IMMUTABLE"
    assert props["ImageScanningConfiguration"] == {"ScanOnPush": False}
    assert '"countNumber": 5' in props["LifecyclePolicy"]["LifecyclePolicyText"]


def test_capacity_provider_strategy_per_service_and_cluster_defaults(tmp_path: Path) -> None:
    strategy = [{"provider": "FARGATE", "base": 1, "weight": 1}, {"provider": "FARGATE_SPOT", "weight": 4}]
    template = compute(tmp_path, {"capacity_provider_strategy": strategy})
    res = resources(template)
    assert res["QuotingService"]["Properties"]["CapacityProviderStrategy"] == [
        {"Base": 1, "CapacityProvider": "FARGATE", "Weight": 1},
        {"Base": 0, "CapacityProvider": "FARGATE_SPOT", "Weight": 4},
    ]
    assert res["ProductPricingService"]["Properties"]["CapacityProviderStrategy"] == [
        {"Base": 0, "CapacityProvider": "FARGATE", "Weight": 1}
    ]
    cluster = res["Cluster"]["Properties"]
    assert cluster["CapacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    assert cluster["ClusterSettings"] == [{"Name": "containerInsights", "Value": "enabled"}]
    assert cluster["ClusterName"] == "acme-dev"


def test_log_groups_use_the_customer_managed_key_from_the_registry(tmp_path: Path) -> None:
    key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    registry = copy.deepcopy(REGISTRY)
    registry["defaults"] = {"logs_kms_key_arn": key}
    project = make_project(tmp_path, registry)
    synthesize(project, "dev").write()
    for name in ("network.yaml", "compute.yaml"):
        template = yaml.safe_load((project / "build/dev" / name).read_text())
        groups = {lid: r for lid, r in template["Resources"].items() if r["Type"] == "AWS::Logs::LogGroup"}
        assert groups, name
        assert {lid: g["Properties"]["KmsKeyId"] for lid, g in groups.items()} == {lid: key for lid in groups}


def test_platform_functions_have_their_own_logs_roles_and_powertools_layer(tmp_path: Path) -> None:
    res = resources(compute(tmp_path))
    validator = res["ApiKeyValidatorFunction"]["Properties"]
    assert validator["FunctionName"] == "acme-dev-api-key-validator"
    assert validator["CodeUri"] == "functions/api_key_validator"
    assert validator["Runtime"] == "python3.13"
    assert validator["Tracing"] == "Active"
    assert validator["LoggingConfig"] == {"LogGroup": {"Ref": "ApiKeyValidatorLogGroup"}}
    # The layer of exactly the Powertools release the tests use, resolved from its public SSM parameter.
    assert validator["Layers"] == [{"Ref": "PowertoolsLayerArn"}]
    template = compute(tmp_path / "again")
    assert template["Parameters"]["PowertoolsLayerArn"]["Type"] == "AWS::SSM::Parameter::Value<String>"
    root = yaml.safe_load((tmp_path / "again/build/dev/template.yaml").read_text())
    assert root["Resources"]["ComputeStack"]["Properties"]["Parameters"]["PowertoolsLayerArn"] == (
        f"/aws/service/powertools/python/x86_64/python3.13/{aws_data.POWERTOOLS_VERSION}"
    )
    assert validator["Environment"]["Variables"] == {
        "CONSUMERS_TABLE_NAME": {"Ref": "ConsumersTable"},
        "KEY_CACHE_TTL_SECONDS": "60",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_METRICS_NAMESPACE": "acme",
        "POWERTOOLS_SERVICE_NAME": "api-key-validator",
    }
    statements = res["ApiKeyValidatorRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert [(s["Sid"], s["Action"]) for s in statements] == [
        ("WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"]),
        ("ReadConsumerKeys", ["dynamodb:GetItem"]),
        ("WriteTraces", list(statements[2]["Action"])),
    ]
    assert res["ApiKeyValidatorLogGroup"]["Properties"] == {
        "LogGroupName": "/acme/dev/lambda/api-key-validator",
        "RetentionInDays": 30,
        "Tags": res["ApiKeyValidatorLogGroup"]["Properties"]["Tags"],
    }
    table = res["ConsumersTable"]
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")
    assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["Properties"]["SSESpecification"] == {"SSEEnabled": True}
    onboarding = res["OnboardingFunction"]["Properties"]["Environment"]["Variables"]
    assert onboarding["USAGE_PLANS_PARAMETER"] == "/acme/dev/usage-plans"
    assert onboarding["IDEMPOTENCY_TABLE_NAME"] == {"Ref": "IdempotencyTable"}


def test_runtime_and_architecture_choose_the_matching_layer(tmp_path: Path) -> None:
    registry = copy.deepcopy(REGISTRY)
    registry["environments"]["dev"]["lambda"] = {
        "runtime": "python3.12",
        "architecture": "arm64",
        "powertools": {"layer_version": 19},
    }
    res = resources(compute(tmp_path, registry=registry))
    validator = res["ApiKeyValidatorFunction"]["Properties"]
    assert validator["Architectures"] == ["arm64"]
    assert validator["Layers"] == [
        {
            "Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:017000801446:layer:"
            "AWSLambdaPowertoolsPythonV3-python312-arm64:19"
        }
    ]


def test_disabled_platform_functions_are_not_deployed(tmp_path: Path) -> None:
    registry = copy.deepcopy(REGISTRY)
    registry["defaults"] = {
        "platform_functions": {"api_key_validator": {"enabled": False}, "onboarding": {"enabled": False}}
    }
    res = resources(compute(tmp_path, registry=registry))
    assert not {"ApiKeyValidatorFunction", "OnboardingFunction", "ConsumersTable", "IdempotencyTable"} & set(res)


def test_lambda_service_gets_the_catalog_layer_and_platform_variables(tmp_path: Path) -> None:
    services = {
        "quoting": QUOTING,
        "product-pricing": PRICING,
        "status": {
            "kind": "lambda",
            "api": {"base_path": "/status", "auth": "none"},
            "environment": {"GREETING": "hi"},
        },
    }
    registry = copy.deepcopy(REGISTRY)
    registry["environments"]["dev"]["services"].append("status")
    project = make_project(
        tmp_path, registry, services, {"functions/status": "def lambda_handler(e, c):\n    return {}\n"}
    )
    result = synthesize(project, "dev").write()
    res = yaml.safe_load((project / "build/dev/compute.yaml").read_text())["Resources"]
    props = res["StatusFunction"]["Properties"]
    assert props["CodeUri"] == "functions/status"
    assert (project / "build/dev/functions/status/app.py").read_text() == "def lambda_handler(e, c):\n    return {}\n"
    assert props["Layers"][1] == {"Ref": "PlatformCatalogLayer"}
    assert props["Environment"]["Variables"]["GREETING"] == "hi"
    assert props["Environment"]["Variables"]["SERVICE_CATALOG_PATH"] == "/opt/platform/catalog.json"
    assert props["Environment"]["Variables"]["SERVICE_BASE_PATH"] == "/status"
    assert res["PlatformCatalogLayer"]["Properties"]["ContentUri"] == "catalog"
    catalog = yaml.safe_load(result.build.files["catalog/platform/catalog.json"])
    assert [s["name"] for s in catalog["services"]] == ["product-pricing", "quoting", "status"]
    assert (project / "build/dev/catalog/platform/catalog.json").is_file()


def test_bundle_mode_copies_code_with_pinned_powertools(tmp_path: Path) -> None:
    registry = copy.deepcopy(REGISTRY)
    registry["environments"]["dev"]["lambda"] = {"powertools": {"source": "bundle"}}
    project = make_project(tmp_path, registry)
    synthesize(project, "dev").write()
    res = yaml.safe_load((project / "build/dev/compute.yaml").read_text())["Resources"]
    validator = res["ApiKeyValidatorFunction"]["Properties"]
    assert validator["CodeUri"] == "functions/api_key_validator"
    assert "Layers" not in validator
    requirements = (project / "build/dev/functions/api_key_validator/requirements.txt").read_text()
    assert requirements == f"aws-lambda-powertools[tracer,parser]=={aws_data.POWERTOOLS_VERSION}\n"
    assert (project / "build/dev/functions/api_key_validator/app.py").is_file()


def test_powertools_version_matches_the_one_the_tests_install() -> None:
    from importlib.metadata import version

    assert version("aws-lambda-powertools") == aws_data.POWERTOOLS_VERSION


@pytest.mark.parametrize(
    ("registry_edit", "expected"),
    [
        (
            {"platform_functions": {"api_key_validator": {"enabled": False}}},
            [
                "services/quoting/service.yaml: api.auth: 'authorizer' needs the platform's API key validator, "
                "which is disabled in environment 'dev'",
                "    hint: use auth: api_key, or enable platform_functions.api_key_validator",
            ],
        ),
    ],
)
def test_authorizer_service_needs_the_validator(
    tmp_path: Path, registry_edit: dict[str, Any], expected: list[str]
) -> None:
    registry = copy.deepcopy(REGISTRY)
    registry["environments"]["dev"].update(registry_edit)
    quoting = {**QUOTING, "api": {"base_path": "/quoting", "auth": "authorizer"}}
    pricing = {**PRICING, "api": {"base_path": "/product-pricing", "exposure": "private"}}  # keyed, other API
    project = make_project(tmp_path, registry, {"quoting": quoting, "product-pricing": pricing})
    result = run_cli("validate", "--env", "dev", project=project)
    assert result.code == 1
    assert result.err.splitlines()[:-1] == expected


def test_missing_platform_function_code_is_reported(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    (project / "functions/onboarding/app.py").unlink()
    result = run_cli("validate", "--env", "dev", project=project)
    assert result.err.splitlines() == [
        "services/registry.yaml: environments.dev.platform_functions.onboarding: is enabled and functions/onboarding/ "
        "overrides the packaged code, but functions/onboarding/app.py is missing",
        "    hint: add functions/onboarding/app.py, or remove functions/onboarding/ to use the code shipped with "
        "template-gen",
        "error: 1 problem found",
    ]


@pytest.mark.parametrize(("timeout", "expected"), [(3, (5, 15, 3)), (20, (20, 20, 20))], ids=["low", "high"])
def test_platform_functions_keep_the_timeout_they_need(
    tmp_path: Path, timeout: int, expected: tuple[int, int, int]
) -> None:
    registry = copy.deepcopy(REGISTRY)
    registry["defaults"] = {"lambda": {"timeout_seconds": timeout}}
    registry["environments"]["dev"]["services"] = ["quoting", "product-pricing", "status"]
    status = {"kind": "lambda", "api": {"base_path": "/status", "auth": "none"}}
    code = {"functions/status": "def lambda_handler(event, context):\n    return {}\n"}
    res = resources(
        compute(tmp_path, registry=registry, services={"quoting": QUOTING, "product-pricing": PRICING, "status": status},
                functions=code)
    )  # fmt: skip
    timeouts = tuple(
        res[name]["Properties"]["Timeout"]
        for name in ("ApiKeyValidatorFunction", "OnboardingFunction", "StatusFunction")
    )
    assert timeouts == expected
