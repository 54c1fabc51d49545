// The AWS CDK peer of `make bench-cdk`: the platform generate_registry.py writes, built the way a team
// would write it with the CDK's L2 constructs (one stack, like the floor), then synthesized.
//
//     node benchmarks/cdk/app.js PROJECT_DIR [OUT_DIR]                        # the app alone
//     cdk synth --app "node benchmarks/cdk/app.js PROJECT_DIR" -o OUT_DIR     # through the CDK CLI
//
// Per container service: log group, ECR repository, Fargate task definition (with its roles), service
// (with its security group), target group and listener rule on the shared internal ALB, CPU autoscaling
// where asked, and the API resources and methods of its base path. Per Lambda service: function (code
// from functions/<name>, an asset), log group, queue and event source or schedule rule, API methods.
// It prints {"resources": N} (after synthesis, from the stack's template), like floor.py.
"use strict";

const fs = require("fs");
const path = require("path");
const yaml = require("js-yaml");
const cdk = require("aws-cdk-lib");
const apigateway = require("aws-cdk-lib/aws-apigateway");
const ec2 = require("aws-cdk-lib/aws-ec2");
const ecr = require("aws-cdk-lib/aws-ecr");
const ecs = require("aws-cdk-lib/aws-ecs");
const elbv2 = require("aws-cdk-lib/aws-elasticloadbalancingv2");
const events = require("aws-cdk-lib/aws-events");
const targets = require("aws-cdk-lib/aws-events-targets");
const lambda = require("aws-cdk-lib/aws-lambda");
const sources = require("aws-cdk-lib/aws-lambda-event-sources");
const logs = require("aws-cdk-lib/aws-logs");
const sqs = require("aws-cdk-lib/aws-sqs");

const read = (file) => yaml.load(fs.readFileSync(file, "utf8"));
const pascal = (name) => name.split("-").map((p) => p[0].toUpperCase() + p.slice(1)).join("");

function shared(stack, project) {
  const vpc = new ec2.Vpc(stack, "Vpc", { ipAddresses: ec2.IpAddresses.cidr("10.0.0.0/16"), maxAzs: 2, natGateways: 1 });
  const alb = new elbv2.ApplicationLoadBalancer(stack, "Alb", { vpc, internetFacing: false });
  const listener = alb.addListener("Listener", {
    port: 80,
    open: false,
    defaultAction: elbv2.ListenerAction.fixedResponse(404),
  });
  const cluster = new ecs.Cluster(stack, "Cluster", { vpc });
  const validator = new lambda.Function(stack, "ApiKeyValidator", {
    runtime: lambda.Runtime.PYTHON_3_13,
    handler: "app.lambda_handler",
    code: lambda.Code.fromAsset(path.join(project, "functions", "api_key_validator")),
  });
  const apis = {};
  for (const which of ["public", "private"]) {
    const api = new apigateway.RestApi(stack, `${pascal(which)}Api`, { restApiName: `bench-${which}` });
    const authorizer = new apigateway.TokenAuthorizer(stack, `${pascal(which)}Authorizer`, {
      handler: validator,
      identitySource: "method.request.header.x-api-key",
    });
    apis[which] = { api, authorizer };
  }
  return { vpc, listener, cluster, apis };
}

function apiRoutes(which, basePath, integration) {
  const base = which.api.root.addResource(basePath.slice(1));
  const proxy = base.addResource("{proxy+}");
  for (const resource of [base, proxy]) {
    resource.addMethod("ANY", integration, {
      authorizer: which.authorizer,
      authorizationType: apigateway.AuthorizationType.CUSTOM,
    });
  }
}

function ecsService(stack, lid, name, svc, common) {
  const logGroup = new logs.LogGroup(stack, `${lid}Logs`, {
    logGroupName: `/ecs/bench/${name}`,
    retention: logs.RetentionDays.ONE_MONTH,
  });
  const repo = new ecr.Repository(stack, `${lid}Repo`, { repositoryName: `bench/${name}` });
  const task = new ecs.FargateTaskDefinition(stack, `${lid}Task`, {
    cpu: svc.cpu,
    memoryLimitMiB: svc.memory,
  });
  task.addContainer(name, {
    image: ecs.ContainerImage.fromEcrRepository(repo, svc.image.tag),
    portMappings: [{ containerPort: svc.port }],
    logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: name }),
  });
  const service = new ecs.FargateService(stack, `${lid}Service`, {
    cluster: common.cluster,
    taskDefinition: task,
    desiredCount: 1,
    minHealthyPercent: 100,
    circuitBreaker: { rollback: true },
  });
  const base = svc.api.base_path;
  common.listener.addTargets(`${lid}Targets`, {
    priority: svc.alb.priority,
    conditions: [elbv2.ListenerCondition.pathPatterns([base, `${base}/*`])],
    port: svc.port,
    protocol: elbv2.ApplicationProtocol.HTTP,
    targets: [service],
    healthCheck: { path: svc.health_check.path },
  });
  if (svc.autoscaling) {
    const scaling = service.autoScaleTaskCount({ minCapacity: svc.autoscaling.min, maxCapacity: svc.autoscaling.max });
    scaling.scaleOnCpuUtilization(`${lid}Cpu`, { targetUtilizationPercent: svc.autoscaling.cpu_target });
  }
  const exposure = svc.api.exposure || "public";
  for (const which of ["public", "private"]) {
    if (exposure === which || exposure === "both") {
      const integration = new apigateway.HttpIntegration(`http://internal${base}/{proxy}`, {
        httpMethod: "ANY",
        proxy: true,
      });
      apiRoutes(common.apis[which], base, integration);
    }
  }
}

function lambdaService(stack, lid, name, svc, common, project) {
  const fn = new lambda.Function(stack, `${lid}Function`, {
    runtime: lambda.Runtime.PYTHON_3_13,
    handler: "app.lambda_handler",
    code: lambda.Code.fromAsset(path.join(project, "functions", name.replace(/-/g, "_"))),
    memorySize: 256,
    timeout: cdk.Duration.seconds(15),
    logGroup: new logs.LogGroup(stack, `${lid}Logs`, { retention: logs.RetentionDays.ONE_MONTH }),
  });
  for (const event of Object.values(svc.events || {})) {
    if (event.sqs) {
      fn.addEventSource(new sources.SqsEventSource(new sqs.Queue(stack, `${lid}Queue`), { batchSize: 10 }));
    } else if (event.schedule) {
      const rule = new events.Rule(stack, `${lid}Schedule`, { schedule: events.Schedule.expression(event.schedule) });
      rule.addTarget(new targets.LambdaFunction(fn));
    }
  }
  if (svc.api) {
    apiRoutes(common.apis.public, svc.api.base_path, new apigateway.LambdaIntegration(fn));
  }
}

function main(project, outdir) {
  // One stack, like the floor: lift the CDK's 500-resource check (TooManyResourcesInStack), which a
  // deployable CDK platform of this size would meet by splitting into stacks.
  // Creation stack traces off, as the CDK CLI sets it unless --debug.
  const context = { "@aws-cdk/core:stackResourceLimit": 0, "aws:cdk:disable-stack-trace": true };
  const app = new cdk.App(outdir ? { outdir, context } : { context });
  const stack = new cdk.Stack(app, "Bench"); // environment-agnostic: no context lookups, no credentials
  const registry = read(path.join(project, "services", "registry.yaml"));
  const common = shared(stack, project);
  for (const name of registry.environments.prod.services) {
    const svc = read(path.join(project, "services", name, "service.yaml"));
    (svc.kind === "ecs" ? ecsService : lambdaService)(stack, pascal(name), name, svc, common, project);
  }
  const assembly = app.synth();
  const template = assembly.getStackByName("Bench").template;
  process.stdout.write(JSON.stringify({ resources: Object.keys(template.Resources).length }) + "\n");
}

main(path.resolve(process.argv[2]), process.argv[3] && path.resolve(process.argv[3]));
