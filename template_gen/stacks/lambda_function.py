"""One reusable module for every Lambda the platform deploys: its log group (retention, optional KMS),
its own least-privilege role, the Powertools layer and settings, and the SAM function itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from awacs import logs as logs_actions
from awacs.aws import Statement
from troposphere import GetAtt, Ref, Sub, awslambda, logs, serverless

from template_gen import aws_data, naming
from template_gen.spec import EnvironmentSpec, LambdaRuntimeSpec
from template_gen.stacks import async_failures, encryption, iam
from template_gen.stacks.common import StackBuilder, log_group


@dataclass(frozen=True)
class FunctionSpec:
    logical: str  # ApiKeyValidator -> ApiKeyValidatorFunction, ApiKeyValidatorRole, ApiKeyValidatorLogGroup
    name: str  # api-key-validator -> function acme-dev-api-key-validator
    description: str
    code_uri: str
    handler: str
    memory_size: int
    timeout_seconds: int
    log_retention_days: int
    environment: Mapping[str, Any] = field(default_factory=dict)
    statements: Sequence[Statement] = ()
    extra_layers: Sequence[Any] = ()
    tags: tuple[tuple[str, str], ...] = ()
    reserved_concurrency: int | None = None
    architecture: str | None = None  # default: the environment's
    events: Mapping[str, Any] = field(default_factory=dict)  # SAM event sources by logical name
    vpc_config: awslambda.VPCConfig | None = None  # subnets and security groups of a function in the VPC
    failure_queue_arn: Any = None  # where failed asynchronous invocations go (stacks.async_failures)


@dataclass(frozen=True)
class FunctionResources:
    function: serverless.Function
    role: Any
    log_group: logs.LogGroup


def powertools_layer_arn(runtime: LambdaRuntimeSpec, architecture: str) -> Sub:
    """A pinned version of the official Powertools for AWS Lambda (Python) layer, in the stack's Region."""
    python = runtime.runtime.replace(".", "")  # python3.13 -> python313
    return Sub(
        f"arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:{aws_data.POWERTOOLS_LAYER_ACCOUNT}:layer:"
        f"AWSLambdaPowertoolsPythonV3-{python}-{architecture}:{runtime.powertools_layer_version}"
    )


def powertools_ssm_parameter(runtime: LambdaRuntimeSpec, architecture: str) -> str:
    """Public SSM parameter holding the layer ARN of the tested Powertools release, in every Region."""
    return f"/aws/service/powertools/python/{architecture}/{runtime.runtime}/{aws_data.POWERTOOLS_VERSION}"


def lambda_function(
    b: StackBuilder, env: EnvironmentSpec, fn: FunctionSpec, powertools_layer: Any = None
) -> FunctionResources:
    """`powertools_layer`: the layer ARN (a literal or a Ref) when Powertools comes from the layer."""
    runtime = env.lambda_runtime
    function_name = naming.function_name(env.platform, env.name, fn.name)
    group = log_group(b, env, f"{fn.logical}LogGroup", ("lambda", fn.name), fn.log_retention_days, fn.tags)

    statements = [
        iam.allow([logs_actions.CreateLogStream, logs_actions.PutLogEvents], [GetAtt(group, "Arn")], "WriteOwnLogs"),
        *fn.statements,
        *encryption.function_statements(env),
    ]
    if env.tracing:
        statements.append(iam.allow(iam.XRAY_WRITE, ["*"], "WriteTraces"))
    role = b.add(
        iam.role(
            f"{fn.logical}Role",
            "lambda.amazonaws.com",
            statements,
            f"{function_name}: execution role",
            source_account=False,
        ),
        fn.tags,
    )

    variables = {
        "POWERTOOLS_SERVICE_NAME": fn.name,
        "POWERTOOLS_METRICS_NAMESPACE": env.platform,
        "POWERTOOLS_LOG_LEVEL": "INFO",
        **fn.environment,
    }
    if not env.tracing:
        variables["POWERTOOLS_TRACE_DISABLED"] = "true"
    layers = list(fn.extra_layers)
    if powertools_layer is not None:
        layers.insert(0, powertools_layer)
    props: dict[str, Any] = {
        "FunctionName": function_name,
        "Description": fn.description,
        "CodeUri": fn.code_uri,
        "Handler": fn.handler,
        "Runtime": runtime.runtime,
        "Architectures": [fn.architecture or runtime.architecture],
        "MemorySize": fn.memory_size,
        "Timeout": fn.timeout_seconds,
        "Role": GetAtt(role, "Arn"),
        "Tracing": "Active" if env.tracing else "PassThrough",
        "Environment": awslambda.Environment(Variables=dict(sorted(variables.items()))),
        "LoggingConfig": awslambda.LoggingConfig(LogGroup=Ref(group)),
        **encryption.function_properties(env),
    }
    if layers:
        props["Layers"] = layers
    if fn.reserved_concurrency is not None:
        props["ReservedConcurrentExecutions"] = fn.reserved_concurrency
    if fn.events:
        props["Events"] = dict(fn.events)
    if fn.vpc_config is not None:
        props["VpcConfig"] = fn.vpc_config
    if fn.failure_queue_arn is not None:
        props.update(async_failures.function_properties(fn.failure_queue_arn))
    function = b.add(serverless.Function(f"{fn.logical}Function", **props), fn.tags)
    return FunctionResources(function, role, group)
