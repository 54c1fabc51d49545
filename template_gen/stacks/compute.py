"""Compute stage: the ECS cluster, the consumers tables, the platform Lambdas, and every service through
the reusable modules (`ecs_service`, `lambda_function`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from awacs import apigateway as apigw_actions
from awacs import dynamodb as ddb
from awacs import ssm as ssm_actions
from troposphere import GetAtt, Ref, Sub, dynamodb, ecs, serverless

from template_gen import aws_data, naming, platform_code
from template_gen.registry.models import APIS_BY_EXPOSURE
from template_gen.spec import EcsServiceSpec, EnvironmentSpec, LambdaServiceSpec
from template_gen.stacks import (
    consumer_upkeep,
    encryption,
    iam,
    jwt_functions,
    lambda_service,
    lambda_vpc,
    service_connect,
)
from template_gen.stacks.common import RenderContext, StackBuilder, Stage, StageOutput, log_group
from template_gen.stacks.ecs_service import EcsShared, ecs_service
from template_gen.stacks.lambda_function import (
    FunctionSpec,
    lambda_function,
    powertools_layer_arn,
    powertools_ssm_parameter,
)
from template_gen.stacks.service_security import ServiceSecurityGroups, has_group

CATALOG_DIR = "catalog"
CATALOG_FILE = "platform/catalog.json"  # inside the layer: /opt/platform/catalog.json


BUNDLE_REQUIREMENTS = f"aws-lambda-powertools[{aws_data.POWERTOOLS_EXTRAS}]=={aws_data.POWERTOOLS_VERSION}\n"


def function_code(project_dir: Path, code_dir: str, bundle: bool) -> tuple[str, dict[str, str]]:
    """A copy of a function's code inside the build folder, and its `CodeUri` relative to that folder,
    so a build means the same wherever it is written (`--out`) and diffs never show path noise.
    `powertools.source: bundle` adds a requirements.txt that `sam build` installs into the package (it
    then needs the runtime's Python)."""
    source = platform_code.source_of(project_dir, code_dir)  # a platform function: the project's or packaged
    target = code_dir if ".." not in Path(code_dir).parts else f"functions/{Path(code_dir).name}"
    files = {
        f"{target}/{path.relative_to(source).as_posix()}": path.read_bytes().decode("utf-8")
        for path in sorted(source.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    if bundle:  # added to the function's own requirements (the JWT authorizer has some), if any
        files[f"{target}/requirements.txt"] = files.get(f"{target}/requirements.txt", "") + BUNDLE_REQUIREMENTS
    return target, files


def shard_stage(shard: int) -> tuple[str, str, str]:
    """(stage key, logical ID, file) of a compute shard: compute / ComputeStack / compute.yaml, then -2, ..."""
    if shard == 1:
        return "compute", "ComputeStack", "compute.yaml"
    return f"compute-{shard}", f"ComputeStack{shard}", f"compute-{shard}.yaml"


class ComputeStage:
    """One compute shard. The first holds the cluster, the tables and the platform functions; every shard
    holds the services placed in it."""

    def __init__(self, env: EnvironmentSpec, ctx: RenderContext, shard: int = 1):
        self.env, self.ctx, self.shard = env, ctx, shard
        self.services = [s for s in env.services if env.placement.compute_shard_of(s.name) == shard]
        title = "compute stage" if shard == 1 else f"compute stage, shard {shard}"
        self.b = StackBuilder(f"{env.platform} {env.name}: {title}", env.tags, sam=True)
        self.files: dict[str, str] = {}
        self.exec_log_group_arn: Any = None  # the first shard's ECS Exec session log group, when a service uses exec
        self.namespace_arn: Any = None  # the Service Connect namespace, when the environment uses it
        self.security_groups: dict[str, Any] = {}  # service -> its security group id (this shard's services)
        self.task_subnets: Any = None

    def build(self) -> Stage:
        env = self.env
        ecs_services = [s for s in self.services if isinstance(s, EcsServiceSpec)]
        lambda_services = [s for s in self.services if isinstance(s, LambdaServiceSpec)]
        if self.shard == 1:
            self._cluster()
        else:
            self._shared_inputs(ecs_services, lambda_services)
        if any(has_group(s) for s in self.services):
            self._security_groups()
        if ecs_services:
            shared = self._network_inputs(ecs_services)
            built = {
                svc.name: ecs_service(self.b, env, svc, shared, env.placement.alb_of(svc.name)) for svc in ecs_services
            }
            if env.service_connect_namespace:
                service_connect.order({name: r.service for name, r in built.items()}, ecs_services)
        if self.shard == 1:
            if env.validator_enabled or env.onboarding_enabled:
                self._consumer_tables()
            if env.validator_enabled:
                self._api_key_validator()
            if env.onboarding_enabled:
                self._onboarding()
            jwt_functions.add(self)
            if env.lambda_services:
                self.catalog_layer = self._catalog_layer()
        if lambda_services:
            self._lambda_services(lambda_services)
        stage = Stage(*shard_stage(self.shard), self.b)
        stage.files = self.files
        if self.shard == 1:
            stage.root_outputs = [("ClusterName", "ClusterName", "ECS cluster of the environment")]
            if env.service_connect_namespace:
                stage.root_outputs += [
                    ("ServiceConnectNamespaceArn", "ServiceConnectNamespaceArn", "Service Connect namespace (ARN)"),
                    ("ServiceConnectNamespaceName", "ServiceConnectNamespaceName", "Service Connect namespace"),
                ]
            if "ConsumersTableName" in self.b.template.outputs:
                stage.root_outputs.append(("ConsumersTableName", "ConsumersTableName", "API consumers table"))
        return stage

    def _shared_inputs(self, ecs_services: list[EcsServiceSpec], lambda_services: list[LambdaServiceSpec]) -> None:
        """A later shard gets the first shard's shared resources as parameters, under the same names."""
        b = self.b
        if ecs_services:
            b.parameter("Cluster", StageOutput("compute", "ClusterName"), description="ECS cluster of the environment")
            if self.env.service_connect_namespace:
                param = b.parameter(
                    "ServiceConnectNamespaceArn",
                    StageOutput("compute", "ServiceConnectNamespaceArn"),
                    description="Service Connect namespace of the environment",
                )
                self.namespace_arn = Ref(param)
        if any(s.exec for s in ecs_services):
            param = b.parameter(
                "ExecSessionLogGroupArn",
                StageOutput("compute", "ExecSessionLogGroupArn"),
                description="Log group of ECS Exec sessions",
            )
            self.exec_log_group_arn = Ref(param)
        if lambda_services:
            b.parameter(
                "PlatformCatalogLayer",
                StageOutput("compute", "PlatformCatalogLayerArn"),
                description="Layer with the environment's service catalog",
            )
            self.catalog_layer = Ref("PlatformCatalogLayer")

    def _function(self, fn: FunctionSpec) -> Any:
        architecture = fn.architecture or self.env.lambda_runtime.architecture
        return lambda_function(self.b, self.env, fn, self._powertools_layer(architecture))

    def _powertools_layer(self, architecture: str) -> Any:
        """The layer for an architecture: one parameter per architecture in use (layers are per architecture)."""
        runtime = self.env.lambda_runtime
        if runtime.powertools_source != "layer":
            return None
        if runtime.powertools_layer_version is not None:
            return powertools_layer_arn(runtime, architecture)
        name = "PowertoolsLayerArn"
        if architecture != runtime.architecture:
            name += naming.camel(architecture.replace("_", "-"))
        if name not in self.b.template.parameters:
            self.b.parameter(
                name,
                powertools_ssm_parameter(runtime, architecture),
                "AWS::SSM::Parameter::Value<String>",
                f"Official Powertools layer ({architecture}) of release {aws_data.POWERTOOLS_VERSION} (public SSM)",
            )
        return Ref(name)

    def _code(self, code_dir: str) -> str:
        bundle = self.env.lambda_runtime.powertools_source == "bundle"
        key = (code_dir, bundle)
        if key not in self.ctx.code:
            self.ctx.code[key] = function_code(self.ctx.project_dir, code_dir, bundle)
        target, files = self.ctx.code[key]
        self.files.update(files)
        return target

    # ------------------------------------------------------------------ cluster
    def _cluster(self) -> None:
        env = self.env
        props: dict[str, Any] = {}
        if any(svc.exec for svc in env.ecs_services):
            group = log_group(self.b, env, "ExecSessionLogGroup", ("ecs", "exec-sessions"), env.log_retention_days)
            self.exec_log_group_arn = GetAtt(group, "Arn")
            self.b.output("ExecSessionLogGroupArn", self.exec_log_group_arn, "Log group of ECS Exec sessions")
            # Every `aws ecs execute-command` session is logged, so shell access leaves a trail.
            props["Configuration"] = ecs.ClusterConfiguration(
                ExecuteCommandConfiguration=ecs.ExecuteCommandConfiguration(
                    Logging="OVERRIDE",
                    LogConfiguration=ecs.ExecuteCommandLogConfiguration(CloudWatchLogGroupName=Ref(group)),
                )
            )
        cluster = self.b.add(
            ecs.Cluster(
                "Cluster",
                ClusterName=env.stack_name,
                ClusterSettings=[ecs.ClusterSetting(Name="containerInsights", Value=env.container_insights)],
                CapacityProviders=["FARGATE", "FARGATE_SPOT"],
                DefaultCapacityProviderStrategy=[
                    ecs.CapacityProviderStrategyItem(CapacityProvider="FARGATE", Weight=1, Base=0)
                ],
                **props,
            )
        )
        self.b.output("ClusterName", Ref(cluster), "ECS cluster name")
        if env.service_connect_namespace:
            namespace = service_connect.namespace(self.b, env)
            cluster.ServiceConnectDefaults = service_connect.cluster_defaults(namespace)
            self.namespace_arn = GetAtt(namespace, "Arn")
        self.b.output("ClusterArn", GetAtt(cluster, "Arn"), "ECS cluster ARN")

    def _net(self, name: str, type_: str, doc: str) -> Ref:
        """A network stage output, as a parameter of this shard (added once)."""
        if name not in self.b.template.parameters:
            self.b.parameter(name, StageOutput("network", name), type_, doc)
        return Ref(name)

    def _parameter(self, name: str, value: Any, type_: str, doc: str) -> Ref:
        if name not in self.b.template.parameters:
            self.b.parameter(name, value, type_, doc)
        return Ref(name)

    def _security_groups(self) -> None:
        vpc_id = self._net("VpcId", "AWS::EC2::VPC::Id", "VPC of the environment")
        self.task_subnets = self._net("TaskSubnetIds", "List<AWS::EC2::Subnet::Id>", "Subnets ECS tasks run in")
        groups = ServiceSecurityGroups(self.b, self.env, self.shard, vpc_id, self._parameter, shard_stage)
        self.security_groups = groups.build(self.services)

    def _network_inputs(self, ecs_services: list[EcsServiceSpec]) -> EcsShared:
        b = self.b
        net = self._net
        listeners: dict[int, Any] = {}
        full_names: dict[int, Any] = {}
        for index in sorted({self.env.placement.alb_of(s.name) for s in ecs_services if s.behind_alb}):
            alb = naming.alb_id(index)
            listeners[index] = net(f"{alb}ListenerArn", "String", f"Listener of ALB {index} (service rules)")
            full_names[index] = net(f"{alb}FullName", "String", f"Full name of ALB {index} (request scaling)")

        assign = b.parameter(
            "AssignPublicIp",
            StageOutput("network", "AssignPublicIp"),
            "String",
            "Public IPs for tasks",
            AllowedValues=["ENABLED", "DISABLED"],
        )
        return EcsShared(
            cluster=Ref("Cluster"),
            vpc_id=net("VpcId", "AWS::EC2::VPC::Id", "VPC of the environment"),
            task_subnets=self.task_subnets,
            security_groups=self.security_groups,
            assign_public_ip=Ref(assign),
            listeners=listeners,
            alb_full_names=full_names,
            xray_image=self.env.xray_daemon_image,
            exec_log_group_arn=self.exec_log_group_arn,
            namespace_arn=self.namespace_arn,
        )

    # ------------------------------------------------------------------ consumers
    def _consumer_tables(self) -> None:
        b = self.b
        self.consumers = b.add(
            dynamodb.Table(
                "ConsumersTable",
                TableName=naming.table_name(self.env.platform, self.env.name, "consumers"),
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[dynamodb.AttributeDefinition(AttributeName="pk", AttributeType="S")],
                KeySchema=[dynamodb.KeySchema(AttributeName="pk", KeyType="HASH")],
                PointInTimeRecoverySpecification=dynamodb.PointInTimeRecoverySpecification(
                    PointInTimeRecoveryEnabled=True
                ),
                SSESpecification=encryption.table_sse(self.env),
                # Consumer records (key hashes, plans) must survive a stack deletion or replacement; its fixed
                # name lets a re-created environment reattach it (docs/deploying.md). RetainExceptOnCreate: a
                # failed first deploy must not leave a table that makes the retry fail with "already exists".
                DeletionPolicy="RetainExceptOnCreate",
                UpdateReplacePolicy="Retain",
            )
        )
        b.output("ConsumersTableName", Ref(self.consumers), "API consumers (hashed keys) table")
        b.output("ConsumersTableArn", GetAtt(self.consumers, "Arn"), "API consumers table ARN")

    def _api_key_validator(self) -> None:
        env = self.env
        fn = self._platform_function(
            "api-key-validator",
            "REQUEST authorizer: validates x-api-key against the consumers table",
            # The validator gives up on a slow lookup after about 4 s and denies; leave it room to answer.
            minimum_timeout=5,
            environment={
                "CONSUMERS_TABLE_NAME": Ref(self.consumers),
                "KEY_CACHE_TTL_SECONDS": str(env.validator_cache_ttl),
            },
            statements=[
                iam.allow([ddb.GetItem], [GetAtt(self.consumers, "Arn")], "ReadConsumerKeys"),
                *encryption.table_statements(env, "ConsumersTableKey"),
            ],
            reserved_concurrency=env.validator_reserved_concurrency,
        )
        self.b.output("ApiKeyValidatorFunctionArn", GetAtt(fn.function, "Arn"), "API key validator (authorizer)")

    def _platform_function(
        self,
        name: str,
        description: str,
        minimum_timeout: int,
        environment: dict[str, Any],
        statements: list[Any],
        reserved_concurrency: int | None = None,
    ) -> Any:
        runtime = self.env.lambda_runtime
        return self._function(
            FunctionSpec(
                logical=naming.logical_id(name),
                name=name,
                description=description,
                code_uri=self._code(naming.code_dir_for(name)),
                handler="app.lambda_handler",
                memory_size=runtime.memory_size,
                timeout_seconds=max(runtime.timeout_seconds, minimum_timeout),
                log_retention_days=self.env.log_retention_days,
                environment=environment,
                statements=statements,
                reserved_concurrency=reserved_concurrency,
            )
        )

    def _onboarding(self) -> None:
        b, env = self.b, self.env
        idempotency = b.add(
            dynamodb.Table(
                "IdempotencyTable",
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[dynamodb.AttributeDefinition(AttributeName="id", AttributeType="S")],
                KeySchema=[dynamodb.KeySchema(AttributeName="id", KeyType="HASH")],
                TimeToLiveSpecification=dynamodb.TimeToLiveSpecification(AttributeName="expiration", Enabled=True),
                SSESpecification=encryption.table_sse(env),
            )
        )
        parameter = naming.ssm_parameter_name(env.platform, env.name, "usage-plans")
        apigw_arn = consumer_upkeep.APIGW_ARN
        fn = self._platform_function(
            "onboarding",
            "Admin API: create, show, rotate and revoke API consumers",
            # Several AWS calls per request (key, usage plan, table), within API Gateway's 29 s.
            minimum_timeout=15,
            environment={
                "CONSUMERS_TABLE_NAME": Ref(self.consumers),
                "IDEMPOTENCY_TABLE_NAME": Ref(idempotency),
                "USAGE_PLANS_PARAMETER": parameter,
                "ADMIN_BASE_PATH": env.api.admin.base_path,
                **({"CORS_ALLOW_ORIGINS": env.cors_origins} if env.cors_origins else {}),
                **consumer_upkeep.onboarding_environment(env),
            },
            statements=[
                iam.allow(
                    [ddb.GetItem, ddb.PutItem, ddb.UpdateItem, ddb.DeleteItem, ddb.ConditionCheckItem],
                    [GetAtt(self.consumers, "Arn")],
                    "ManageConsumers",
                ),
                iam.allow(
                    [ddb.GetItem, ddb.PutItem, ddb.UpdateItem, ddb.DeleteItem],
                    [GetAtt(idempotency, "Arn")],
                    "IdempotencyRecords",
                ),
                iam.allow(
                    [ssm_actions.GetParameter],
                    [consumer_upkeep.parameter_arn(parameter)],
                    "ReadUsagePlans",
                ),
                iam.allow(
                    [apigw_actions.POST],
                    [Sub(f"{apigw_arn}/apikeys"), Sub(f"{apigw_arn}/usageplans/*/keys")],
                    "CreateKeys",
                ),
                iam.allow(
                    [apigw_actions.GET, apigw_actions.PATCH, apigw_actions.DELETE],
                    [Sub(f"{apigw_arn}/apikeys/*"), Sub(f"{apigw_arn}/usageplans/*/keys/*")],
                    "ManageKeys",
                ),
                *consumer_upkeep.onboarding_statements(env),
                *encryption.table_statements(env, "TablesKey"),
            ],
        )
        b.output("OnboardingFunctionArn", GetAtt(fn.function, "Arn"), "Admin (onboarding) function")
        code = self._code(naming.code_dir_for("onboarding"))
        reconciler = consumer_upkeep.reconciler(env, code, self.consumers, self._function)
        b.output("ReconcilerFunctionName", Ref(reconciler.function), "Consumer reconciler (template-gen reconcile)")
        b.output("ReconcilerFunctionArn", GetAtt(reconciler.function, "Arn"), "Consumer reconciler (alarms)")

    # ------------------------------------------------------------------ Lambda services
    def _catalog_layer(self) -> Ref:
        b, env = self.b, self.env
        layer = b.add(
            serverless.LayerVersion(
                "PlatformCatalogLayer",
                LayerName=naming.function_name(env.platform, env.name, "catalog"),
                Description="The environment's service catalog, at /opt/" + CATALOG_FILE,
                ContentUri=CATALOG_DIR,
                CompatibleRuntimes=[env.lambda_runtime.runtime],
                RetentionPolicy="Delete",
            )
        )
        b.output("PlatformCatalogLayerArn", Ref(layer), "Layer with the service catalog")
        self.files[f"{CATALOG_DIR}/{CATALOG_FILE}"] = service_catalog(env)
        return Ref(layer)

    def _lambda_services(self, services: list[LambdaServiceSpec]) -> None:
        b, env = self.b, self.env
        for svc in services:
            fn = lambda_service.build(b, env, svc, self._service_function(svc, self.catalog_layer), self._function)
            b.output(f"{svc.logical}FunctionArn", GetAtt(fn.function, "Arn"), f"{svc.name}: function ARN")

    def _service_function(self, svc: LambdaServiceSpec, layer: Any) -> FunctionSpec:
        env = self.env
        variables = {
            **dict(svc.environment),
            "PLATFORM_NAME": env.platform,
            "ENVIRONMENT_NAME": env.name,
            "SERVICE_CATALOG_PATH": f"/opt/{CATALOG_FILE}",
        }
        if svc.api.base_path is not None:
            variables["SERVICE_BASE_PATH"] = svc.api.base_path
        if env.cors_origins:
            variables["CORS_ALLOW_ORIGINS"] = env.cors_origins
        vpc = lambda_vpc.settings(env, svc, self.task_subnets, self.security_groups.get(svc.name))
        variables.update(vpc.variables)
        return FunctionSpec(
            logical=svc.logical,
            name=svc.name,
            description=svc.description or f"{svc.name} (Lambda service)",
            code_uri=self._code(svc.code_dir),
            handler=svc.handler,
            memory_size=svc.memory_size,
            timeout_seconds=svc.timeout_seconds,
            log_retention_days=svc.log_retention_days,
            environment=variables,
            extra_layers=[layer],
            tags=svc.tags,
            statements=vpc.statements,
            vpc_config=vpc.config,
        )


def service_catalog(env: EnvironmentSpec) -> str:
    services = [
        {
            "name": s.name,
            "kind": s.kind,
            "description": s.description,
            "base_path": s.api.base_path,
            "exposure": list(APIS_BY_EXPOSURE[s.api.exposure]),
            "auth": s.api.auth,
        }
        for s in sorted(env.services, key=lambda s: s.name)
    ]
    catalog = {"platform": env.platform, "environment": env.name, "region": env.region, "services": services}
    return json.dumps(catalog, indent=2, sort_keys=True) + "\n"


def build(env: EnvironmentSpec, ctx: RenderContext) -> list[Stage]:
    """Every compute shard that has something in it (the first always does)."""
    return [ComputeStage(env, ctx, shard).build() for shard in env.placement.compute_shards]
