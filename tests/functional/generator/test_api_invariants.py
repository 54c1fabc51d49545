"""Structural invariants of the API stage, for every golden case and environment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml
from synth_cases import CASES, PARAMS

from template_gen import route_ids, route_table
from template_gen.pipeline import load_registry

Templates = Callable[[str, str], dict[str, str]]


def api(templates: Templates, case: str, env: str) -> dict[str, Any]:
    """Resources of every stack of the API stage (api.yaml, api-routes-*.yaml, api-stage.yaml)."""
    resources: dict[str, Any] = {}
    for name, text in sorted(templates(case, env).items()):
        if name.startswith("api") and name.endswith(".yaml"):
            resources.update(yaml.safe_load(text)["Resources"])
    return resources


def methods(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {lid: r["Properties"] for lid, r in resources.items() if r["Type"] == "AWS::ApiGateway::Method"}


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_every_ecs_route_uses_the_vpc_link(templates: Templates, case: str, env: str) -> None:
    proxied = [m for m in methods(api(templates, case, env)).values() if m["Integration"]["Type"] == "HTTP_PROXY"]
    assert proxied, "no container routes"
    for method in proxied:
        integration = method["Integration"]
        assert (integration["ConnectionType"], integration["ConnectionId"]) == ("VPC_LINK", {"Ref": "VpcLinkId"})


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_every_lambda_route_has_a_permission_for_its_function(templates: Templates, case: str, env: str) -> None:
    resources = api(templates, case, env)
    permitted = {
        str(r["Properties"]["FunctionName"]["Ref"])
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::Permission"
    }
    for lid, method in methods(resources).items():
        if method["Integration"]["Type"] == "AWS_PROXY":
            function = method["Integration"]["Uri"]["Fn::Sub"][1]["FunctionArn"]["Ref"]
            assert function in permitted, lid


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_no_public_method_is_open_unless_its_service_says_auth_none(templates: Templates, case: str, env: str) -> None:
    valid = load_registry(CASES[case].project, [env])
    entry = valid.environments[env]
    # Every path of a route (`api.base_path` or `api.routes`) whose auth is none, by its resource's ID.
    open_paths = {
        p for r in route_table.for_environment(entry.model, entry.services) if r.auth == "none" for p in r.paths
    }
    open_prefixes = {"Public" + route_ids.plain(path) for path in open_paths}
    for lid, method in methods(api(templates, case, env)).items():
        if not lid.startswith("Public") or method["HttpMethod"] == "OPTIONS":
            continue  # CORS preflights carry no credentials by design
        is_open = method["AuthorizationType"] == "NONE" and not method["ApiKeyRequired"]
        if is_open:
            assert any(lid.startswith(p) for p in open_prefixes), f"{lid} is open"


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_private_api_policy_names_the_vpc_endpoint(templates: Templates, case: str, env: str) -> None:
    resources = api(templates, case, env)
    if "PrivateApi" not in resources:
        pytest.skip("no private API in this environment")
    policy = resources["PrivateApi"]["Properties"]["Policy"]
    conditions = [s["Condition"] for s in policy["Statement"]]
    assert conditions == [
        {"StringEquals": {"aws:SourceVpce": {"Ref": "ExecuteApiEndpointId"}}},
        {"StringNotEquals": {"aws:SourceVpce": {"Ref": "ExecuteApiEndpointId"}}},
    ]


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_every_stage_logs_access_as_json_to_a_group_with_retention(templates: Templates, case: str, env: str) -> None:
    resources = api(templates, case, env)
    stages = {lid: r["Properties"] for lid, r in resources.items() if r["Type"] == "AWS::ApiGateway::Stage"}
    assert stages
    for stage in stages.values():
        group = stage["AccessLogSetting"]["DestinationArn"]["Fn::GetAtt"][0]
        assert resources[group]["Properties"]["RetentionInDays"] > 0
        assert stage["AccessLogSetting"]["Format"].startswith("{") and stage["AccessLogSetting"]["Format"].endswith("}")


@pytest.mark.parametrize(("case", "env"), PARAMS)
def test_no_two_resources_share_a_path_part_under_one_parent(templates: Templates, case: str, env: str) -> None:
    """API Gateway refuses it at deploy time ("Another resource with the same parent already has this name"),
    which cfn-lint cannot see; and a method's resource is one of these, or the API's root."""
    by_api: dict[str, Any] = {}
    for name, text in sorted(templates(case, env).items()):
        if not (name.startswith("api") and name.endswith(".yaml")):
            continue
        resources = yaml.safe_load(text)["Resources"]
        seen: set[tuple[str, str]] = set()
        for lid, resource in resources.items():
            if resource["Type"] == "AWS::ApiGateway::Resource":
                props = resource["Properties"]
                key = (str(props["RestApiId"]) + str(props["ParentId"]), props["PathPart"])
                assert key not in seen, f"{name}: {lid} repeats {key}"
                seen.add(key)
                by_api.setdefault(props["RestApiId"]["Ref"], []).append(lid)
        for lid, method in methods(resources).items():
            target = method["ResourceId"]
            root = target.get("Fn::GetAtt", [""])[0].endswith("Api") or target.get("Ref", "").endswith("RootResourceId")
            assert root or resources[target["Ref"]]["Type"] == "AWS::ApiGateway::Resource", f"{name}: {lid}"
    for api_id, ids in by_api.items():
        assert len(ids) == len(set(ids)), api_id
