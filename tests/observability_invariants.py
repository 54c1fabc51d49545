"""Invariants of the observability stage over a whole synthesized environment (file name -> template):
every ECS service and function has its alarms, every alarm notifies, every dashboard body is valid JSON
within the quotas, and every metric dimension names a resource that exists in the stacks."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from template_gen.quotas import DASHBOARD_BODY_BUDGET, DASHBOARD_METRICS, DASHBOARD_WIDGETS

Templates = dict[str, dict[str, Any]]

ECS_ALARMS = ("Target5xx", "UnhealthyHosts", "P99Response", "BelowDesired", "CpuHigh", "MemoryHigh")
LAMBDA_ALARMS = ("Errors", "Throttles", "DurationNearTimeout")
TARGET_ALARMS = ("Target5xx", "UnhealthyHosts", "P99Response")  # only for a service behind the ALB
# Which resource a dimension must name.
DIMENSION_TYPES = {
    "TargetGroup": "AWS::ElasticLoadBalancingV2::TargetGroup",
    "LoadBalancer": "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "ServiceName": "AWS::ECS::Service",
    "ClusterName": "AWS::ECS::Cluster",
    "FunctionName": "AWS::Serverless::Function",
}
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9:]+)\}")


def resources(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in template.get("Resources", {}).items() if r["Type"] == type_}


def observability_files(templates: Templates) -> list[str]:
    return sorted(f for f in templates if f.startswith("observability"))


def shard_of(compute_file: str) -> str:
    """compute-3.yaml -> "-3"; compute.yaml -> """ ""
    return compute_file.removesuffix(".yaml").removeprefix("compute")


def missing_alarms(templates: Templates, alarms_off: Iterable[str] = (), insights: bool = True) -> list[str]:
    """Every ECS service and function of compute shard N has its alarms in observability shard N."""
    off = set(alarms_off)
    problems = []
    for file_name in sorted(f for f in templates if f.startswith("compute")):
        obs = templates[f"observability{shard_of(file_name)}.yaml"]["Resources"]
        compute = templates[file_name]
        expected: list[tuple[str, tuple[str, ...]]] = [
            (lid.removesuffix("Service"), ECS_ALARMS) for lid in resources(compute, "AWS::ECS::Service")
        ]
        expected += [
            (lid.removesuffix("Function"), LAMBDA_ALARMS) for lid in resources(compute, "AWS::Serverless::Function")
        ]
        target_groups = resources(compute, "AWS::ElasticLoadBalancingV2::TargetGroup")
        for prefix, names in expected:
            if prefix in off:
                continue
            for name in names:
                if name == "BelowDesired" and not insights:
                    continue
                if name in TARGET_ALARMS and f"{prefix}TargetGroup" not in target_groups:
                    continue  # an internal service or a worker: no target group, no ALB to alarm on
                if f"{prefix}{name}Alarm" not in obs:
                    problems.append(f"{file_name}: {prefix} has no {name} alarm")
    return problems


def alarms_without_actions(templates: Templates) -> list[str]:
    problems = []
    for file_name in observability_files(templates):
        for lid, alarm in resources(templates[file_name], "AWS::CloudWatch::Alarm").items():
            props = alarm["Properties"]
            topic = {"Ref": "AlarmTopic"} if file_name == "observability.yaml" else {"Ref": "AlarmTopicArn"}
            if props.get("AlarmActions") != [topic] or props.get("OKActions") != [topic]:
                problems.append(f"{file_name}: {lid} does not notify the alarm topic of ALARM and OK")
    return problems


def dashboard_bodies(templates: Templates) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(file, dashboard, body with every placeholder replaced by a value as long as the longest real one)."""
    for file_name in observability_files(templates):
        for lid, dashboard in resources(templates[file_name], "AWS::CloudWatch::Dashboard").items():
            text = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
            filled = PLACEHOLDER.sub(lambda m: "x" * 96 if m.group(1) != "AWS::Region" else "eu-west-1", text)
            yield file_name, lid, json.loads(filled) | {"_bytes": len(filled.encode())}


def oversized_dashboards(templates: Templates) -> list[str]:
    problems = []
    for file_name, lid, body in dashboard_bodies(templates):
        metrics = sum(len(w["properties"].get("metrics", ())) for w in body["widgets"])
        if len(body["widgets"]) > DASHBOARD_WIDGETS.limit or metrics > DASHBOARD_METRICS.limit:
            problems.append(f"{file_name}: {lid} has {len(body['widgets'])} widgets and {metrics} metrics")
        if body["_bytes"] > DASHBOARD_BODY_BUDGET:
            problems.append(f"{file_name}: {lid} body is {body['_bytes']} bytes")
    return problems


def _source(templates: Templates, file_name: str, parameter: str) -> tuple[str, dict[str, Any]] | None:
    """The resource an observability parameter is fed from: root wiring -> stage output -> resource."""
    stacks = templates["template.yaml"]["Resources"]
    stack = next(s for s in stacks.values() if s["Type"] == "AWS::CloudFormation::Stack"
                 and s["Properties"]["TemplateURL"] == file_name)  # fmt: skip
    source_stack, output = stack["Properties"]["Parameters"][parameter]["Fn::GetAtt"]
    source_file = stacks[source_stack]["Properties"]["TemplateURL"]
    if output == "AlarmTopicArn" or source_file.startswith("observability"):
        return None
    value = templates[source_file]["Outputs"][output.removeprefix("Outputs.")]["Value"]
    lid = value["Ref"] if "Ref" in value else value["Fn::GetAtt"][0]
    return source_file, templates[source_file]["Resources"][lid]


def _named(templates: Templates, type_: str, key: str, value: str) -> bool:
    return any(r["Properties"].get(key) == value for t in templates.values() for r in resources(t, type_).values())


def dangling_dimensions(templates: Templates) -> list[str]:
    """Every dimension (alarms and dashboards) names a resource of the right type in the stacks."""
    problems = []
    for file_name in observability_files(templates):
        template = templates[file_name]
        dims: list[tuple[str, Any]] = []
        for alarm in resources(template, "AWS::CloudWatch::Alarm").values():
            props = alarm["Properties"]
            dims += [(d["Name"], d["Value"]) for d in props.get("Dimensions", [])]
            for query in props.get("Metrics", []):
                if "MetricStat" in query:
                    dims += [(d["Name"], d["Value"]) for d in query["MetricStat"]["Metric"]["Dimensions"]]
        for dashboard in resources(template, "AWS::CloudWatch::Dashboard").values():
            body = json.loads(dashboard["Properties"]["DashboardBody"]["Fn::Sub"])
            for widget in body["widgets"]:
                for row in widget["properties"].get("metrics", ()):
                    names = [v for v in row[2:] if not isinstance(v, dict)]
                    dims += list(zip(names[0::2], names[1::2], strict=True))
        for name, value in dims:
            problem = _check_dimension(templates, file_name, name, value)
            if problem:
                problems.append(f"{file_name}: {name}={value}: {problem}")
    return sorted(set(problems))


def _check_dimension(templates: Templates, file_name: str, name: str, value: Any) -> str | None:
    if isinstance(value, dict) and "Fn::Select" in value:  # a function name taken from its ARN
        value = value["Fn::Select"][1]["Fn::Split"][1]
    parameter = value.get("Ref") if isinstance(value, dict) else None
    if isinstance(value, str) and (match := PLACEHOLDER.fullmatch(value)):
        parameter = match.group(1)
    if parameter is not None:
        source = _source(templates, file_name, parameter)
        if source is None or source[1]["Type"] != DIMENSION_TYPES[name]:
            return f"fed from {source and source[1]['Type']}"
        return None
    literal = {
        "ApiName": ("AWS::ApiGateway::RestApi", "Name"),
        "Stage": ("AWS::ApiGateway::Stage", "StageName"),
        "FunctionName": ("AWS::Serverless::Function", "FunctionName"),
    }
    if name in literal:
        return None if _named(templates, *literal[name], value) else "no such resource"
    if name == "service":  # Powertools metrics: the function's service name ends its function name
        functions = [r["Properties"]["FunctionName"] for t in templates.values()
                     for r in resources(t, "AWS::Serverless::Function").values()]  # fmt: skip
        return None if any(f.endswith(f"-{value}") for f in functions) else "no such function"
    if name == "DiscoveryName":  # Service Connect metrics: a discovery name an ECS service serves
        served = [
            s.get("DiscoveryName")
            for t in templates.values()
            for r in resources(t, "AWS::ECS::Service").values()
            for s in (r["Properties"].get("ServiceConnectConfiguration") or {}).get("Services", [])
        ]
        return None if value in served else "no service serves it through Service Connect"
    return "unexpected dimension"


def rollback_alarms_exist(templates: Templates) -> list[str]:
    """The alarm names an ECS service rolls back on are alarms of the observability stage."""
    names = {
        a["Properties"]["AlarmName"]
        for f in observability_files(templates)
        for a in resources(templates[f], "AWS::CloudWatch::Alarm").values()
    }
    problems = []
    for file_name in sorted(f for f in templates if f.startswith("compute")):
        for lid, svc in resources(templates[file_name], "AWS::ECS::Service").items():
            alarms = svc["Properties"]["DeploymentConfiguration"].get("Alarms")
            for name in alarms["AlarmNames"] if alarms else ():
                if name not in names:
                    problems.append(f"{file_name}: {lid} rolls back on {name}, which no stack creates")
    return problems
