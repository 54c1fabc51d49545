"""What keeps the consumer admin API's promises after the fact: the permissions onboarding needs to
revoke within seconds (flush the stages' authorizer caches, find a key by name after a lost answer),
the SSM parameter naming those stages, and the scheduled reconciler function.

The compute stage comes before the APIs, so their ids cannot reach onboarding as environment
variables: the api stage writes them to the `authorizer-stages` parameter, as it does for usage plans.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from awacs import apigateway as apigw_actions
from awacs import dynamodb as ddb
from awacs import ssm as ssm_actions
from awacs.aws import Statement
from troposphere import GetAtt, Join, Ref, Sub, apigateway, ssm

from template_gen import naming
from template_gen.spec import EnvironmentSpec
from template_gen.stacks import encryption, iam
from template_gen.stacks.common import StackBuilder
from template_gen.stacks.lambda_function import FunctionResources, FunctionSpec

AUTHORIZER_STAGES = "authorizer-stages"
RECONCILER = "reconciler"
RECONCILER_SCHEDULE = "rate(1 hour)"
# A scan of the table and a few API Gateway calls per finding; API Gateway's key calls are throttled.
RECONCILER_TIMEOUT_SECONDS = 300
APIGW_ARN = "arn:${AWS::Partition}:apigateway:${AWS::Region}::"


def authorizer_stages_parameter(env: EnvironmentSpec) -> str:
    return naming.ssm_parameter_name(env.platform, env.name, AUTHORIZER_STAGES)


def parameter_arn(name: str) -> Sub:
    return Sub(f"arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter{name}")


def onboarding_statements(env: EnvironmentSpec) -> list[Statement]:
    """Onboarding's extra permissions: read the stages, flush their authorizer caches (only the
    environment's stage name: the API ids are not known before the api stage), list keys by name."""
    return [
        iam.allow(
            [ssm_actions.GetParameter], [parameter_arn(authorizer_stages_parameter(env))], "ReadAuthorizerStages"
        ),
        iam.allow(
            [apigw_actions.DELETE],
            [Sub(f"{APIGW_ARN}/restapis/*/stages/{env.api.stage_name}/cache/authorizers")],
            "FlushAuthorizerCaches",
        ),
        iam.allow([apigw_actions.GET], [Sub(f"{APIGW_ARN}/apikeys")], "FindKeysByName"),
    ]


def onboarding_environment(env: EnvironmentSpec) -> dict[str, str]:
    return {"AUTHORIZER_STAGES_PARAMETER": authorizer_stages_parameter(env)}


def reconciler(
    env: EnvironmentSpec,
    code_uri: str,
    consumers_table: Any,
    make_function: Callable[[FunctionSpec], FunctionResources],
) -> FunctionResources:
    """The scheduled reconciler (report only; `template-gen reconcile --fix` invokes it to fix). It runs
    from onboarding's code root, whose item layout it reads."""
    usage_plans = naming.ssm_parameter_name(env.platform, env.name, "usage-plans")
    table = GetAtt(consumers_table, "Arn")
    rule = naming.event_rule_name(env.platform, env.name, RECONCILER, "hourly")
    return make_function(
        FunctionSpec(
            logical=naming.logical_id(RECONCILER),
            name=RECONCILER,
            description="Finds (and on request removes) API keys and consumers a failed admin request left",
            code_uri=code_uri,
            handler="reconciler.lambda_handler",
            memory_size=env.lambda_runtime.memory_size,
            timeout_seconds=max(env.lambda_runtime.timeout_seconds, RECONCILER_TIMEOUT_SECONDS),
            log_retention_days=env.log_retention_days,
            environment={"CONSUMERS_TABLE_NAME": Ref(consumers_table), "USAGE_PLANS_PARAMETER": usage_plans},
            statements=[
                # Scan: the reconciler reads every item; UpdateItem/DeleteItem: revoking a consumer whose key
                # is gone and deleting a stray key item; PutItem: audit items for its fixes.
                iam.allow([ddb.Scan, ddb.UpdateItem, ddb.DeleteItem, ddb.PutItem], [table], "ReconcileConsumers"),
                iam.allow([ssm_actions.GetParameter], [parameter_arn(usage_plans)], "ReadUsagePlans"),
                iam.allow(
                    [apigw_actions.GET],
                    [Sub(f"{APIGW_ARN}/apikeys"), Sub(f"{APIGW_ARN}/usageplans/*/keys")],
                    "ListKeys",
                ),
                iam.allow(
                    [apigw_actions.GET, apigw_actions.PATCH, apigw_actions.DELETE],
                    [Sub(f"{APIGW_ARN}/apikeys/*"), Sub(f"{APIGW_ARN}/usageplans/*/keys/*")],
                    "RemoveKeys",
                ),
                *encryption.table_statements(env, "ConsumersTableKey"),
            ],
            events={
                "Hourly": {
                    "Type": "Schedule",
                    "Properties": {"Schedule": RECONCILER_SCHEDULE, "Name": rule, "State": "ENABLED"},
                }
            },
        )
    )


def authorizer_stages(b: StackBuilder, env: EnvironmentSpec, stages: Sequence[tuple[str, apigateway.Stage]]) -> None:
    """The `[{"rest_api_id": ..., "stage": ...}]` parameter onboarding flushes after a revoke or rotate:
    every API stage with the key validator as authorizer (`stages`: API prefix and its stage)."""
    parts: list[Any] = ["["]
    for index, (prefix, stage) in enumerate(stages):
        parts += [("," if index else "") + '{"rest_api_id":"', Ref(f"{prefix}Api"), '","stage":"', Ref(stage), '"}']
    parts.append("]")
    b.add(
        ssm.Parameter(
            "AuthorizerStagesParameter",
            Name=authorizer_stages_parameter(env),
            Type="String",
            Value=Join("", parts),
            Description="API stages whose authorizer caches onboarding flushes on revoke and rotate",
        )
    )
