"""Deploy-time failures that lint cannot see, and how the templates prevent them (docs/deploying.md,
"What can fail on a first deploy")."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml
from support import PRICING, QUOTING, REGISTRY, load, make_project, resources_of_type, write_yaml

from template_gen.pipeline import synthesize
from template_gen.stacks.routes import API_OBJECT_BATCH

AUTOSCALED = {"desired_count": 4, "autoscaling": {"min": 3, "max": 8, "cpu_target": 60}}
API_OBJECTS = ("AWS::ApiGateway::Resource", "AWS::ApiGateway::Method")


def project(tmp_path: Path, quoting: dict[str, Any] | None = None, **dev: Any) -> Path:
    registry = copy.deepcopy(REGISTRY)
    registry["environments"]["dev"].update(dev)
    services = {"quoting": {**copy.deepcopy(QUOTING), **(quoting or {})}, "product-pricing": PRICING}
    return make_project(tmp_path, registry, services)


def build(project_dir: Path, file: str, image_tags: dict[str, str] | None = None) -> dict[str, Any]:
    synthesize(project_dir, "dev", image_tags=image_tags).write()
    return load(project_dir / "build/dev" / file)


def placement_file(project_dir: Path) -> dict[str, Any]:
    return json.loads((project_dir / "services/environments/dev.placement.json").read_text())  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------------- ECR


def test_repository_is_deleted_when_its_first_create_fails_and_kept_otherwise(tmp_path: Path) -> None:
    repo = build(project(tmp_path), "compute.yaml")["Resources"]["QuotingRepository"]
    assert (repo["DeletionPolicy"], repo["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")
    assert repo["Properties"]["RepositoryName"] == "acme/dev/quoting"
    assert placement_file(tmp_path)["ecr_repositories"] == ["product-pricing", "quoting"]


def test_a_service_that_comes_back_references_its_retained_repository(tmp_path: Path) -> None:
    # GIVEN quoting was deployed with its repository, then removed from the environment
    build(project(tmp_path), "compute.yaml")
    build(project(tmp_path, services=["product-pricing"]), "compute.yaml")
    assert placement_file(tmp_path)["retained_ecr_repositories"] == ["quoting"]
    # WHEN it is enabled again
    result = synthesize(project(tmp_path), "dev", image_tags={"quoting": "1.2.0"}).write()
    res = load(tmp_path / "build/dev/compute.yaml")
    # THEN the stack does not create the repository again ("already exists"), it points at it
    assert "QuotingRepository" not in res["Resources"]
    uri = "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/acme/dev/quoting"
    image = res["Resources"]["QuotingTaskDefinition"]["Properties"]["ContainerDefinitions"][0]["Image"]
    assert image == {"Fn::Join": ["", [{"Fn::Sub": uri}, ":", "1.2.0"]]}
    assert res["Outputs"]["QuotingRepositoryUri"]["Value"] == {"Fn::Sub": uri}
    pull = res["Resources"]["QuotingExecutionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][2]
    assert (pull["Sid"], pull["Resource"]) == (
        "PullOwnImages",
        [{"Fn::Sub": "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/acme/dev/quoting"}],
    )
    assert [w for w in result.warnings if "ECR" in w] == [
        "service 'quoting' uses its ECR repository retained from an earlier deployment (acme/dev/quoting); "
        "the stack references it instead of creating it"
    ]
    assert placement_file(tmp_path)["ecr_repositories"] == ["product-pricing"]


# ---------------------------------------------------------------------------------------------- ordering


def test_vpc_link_waits_for_the_nlb_listeners_and_the_alb_target_group_for_its_alb(tmp_path: Path) -> None:
    res = build(project(tmp_path), "network.yaml")["Resources"]
    link = res["VpcLink"]
    assert link["DependsOn"] == ["IngressNlbListener"]
    assert link["Properties"]["TargetArns"] == [{"Ref": "IngressNlb"}]
    group = res["IngressNlbToAlbTargetGroup"]
    assert group["DependsOn"] == ["AlbListener"]
    assert group["Properties"]["Targets"] == [{"Id": {"Ref": "Alb"}, "Port": 80}]  # Ref: after the ALB


def _ancestors(resources: dict[str, Any]) -> dict[str, set[str]]:
    """Every API object -> the API objects that must be complete before it starts (Ref and DependsOn)."""
    objects = {lid for lid, r in resources.items() if r["Type"] in API_OBJECTS}

    def direct(lid: str) -> set[str]:
        r = resources[lid]
        text = json.dumps(r.get("Properties", {}))
        refs = {o for o in objects if f'{{"Ref": "{o}"}}' in text}
        depends = r.get("DependsOn", [])
        return refs | {d for d in ([depends] if isinstance(depends, str) else depends) if d in objects}

    done: dict[str, set[str]] = {}

    def walk(lid: str) -> set[str]:
        if lid not in done:
            done[lid] = set()
            for parent in direct(lid):
                done[lid] |= {parent, *walk(parent)}
        return done[lid]

    return {lid: walk(lid) for lid in objects}


def test_api_objects_are_created_at_most_five_at_a_time(tmp_path: Path) -> None:
    res = build(project(tmp_path, api={"cors": {"allow_origins": ["https://app.example.com"]}}), "api.yaml")
    ancestors = _ancestors(res["Resources"])
    assert len(ancestors) == 18  # 3 routes: 2 resources and 4 methods (ANY, OPTIONS) each
    for lid, before in ancestors.items():
        # Objects neither before nor after this one may run beside it: at most a batch.
        beside = {o for o in ancestors if o != lid and o not in before and lid not in ancestors[o]}
        assert len(beside) <= API_OBJECT_BATCH - 1, (lid, sorted(beside))
    # The last object waits for the three batches before its own, and for its resource (in its own batch).
    assert max(len(before) for before in ancestors.values()) == 3 * API_OBJECT_BATCH + 1
    # Routes in path order (/admin, /product-pricing, /quoting); the last batch waits for the fourth.
    method = res["Resources"]["PublicQuotingProxyAnyMethod"]
    assert method["DependsOn"] == [
        "PublicProductPricingProxyAnyMethod", "PublicProductPricingProxyOptionsMethod", "PublicQuotingResource",
        "PublicQuotingAnyMethod", "PublicQuotingOptionsMethod",
    ]  # fmt: skip
    assert "DependsOn" not in res["Resources"]["PublicAdminResource"]  # the first batch waits for nothing


def test_route_stacks_deploy_one_after_another(tmp_path: Path) -> None:
    # GIVEN routes placed in three route stacks (as a large environment would)
    proj = project(tmp_path)
    write_yaml(
        proj / "services/environments/dev.placement.json",
        json.dumps({"version": 1, "compute": {}, "albs": {}, "api_routes": {"quoting": 2, "product-pricing": 3}}),
    )
    root = build(proj, "template.yaml")["Resources"]
    # THEN api-routes-3 waits for api-routes-2 (which waits for api.yaml through its parameters)
    assert root["ApiRoutes3Stack"]["DependsOn"] == ["ApiRoutes2Stack"]
    assert "DependsOn" not in root["ApiRoutes2Stack"]
    assert root["ApiRoutes2Stack"]["Properties"]["Parameters"]["PublicApi"] == {
        "Fn::GetAtt": ["ApiStack", "Outputs.PublicApiId"]
    }
    assert root["ApiStageStack"]["DependsOn"] == ["ApiRoutes2Stack", "ApiRoutes3Stack"]


# ---------------------------------------------------------------------------------------------- API stage


def test_account_cloudwatch_role_outlives_the_stack_and_trusts_api_gateway_as_documented(tmp_path: Path) -> None:
    res = build(project(tmp_path, api={"cloudwatch_role": True}), "api-stage.yaml")["Resources"]
    account, role = res["ApiGatewayAccount"], res["ApiGatewayCloudWatchRole"]
    assert (account["DeletionPolicy"], account["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert (role["DeletionPolicy"], role["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}}
    ]


def _deployment(tmp_path: Path, **dev: Any) -> str:
    res = build(project(tmp_path, **dev), "api-stage.yaml")["Resources"]
    (lid,) = resources_of_type({"Resources": res}, "AWS::ApiGateway::Deployment")
    return lid


def test_deployment_is_remade_when_a_value_the_routes_use_can_change(tmp_path: Path) -> None:
    direct = {"mode": "create", "cidr": "10.20.0.0/16", "az_count": 2, "ingress": "alb-direct"}
    base = _deployment(tmp_path / "base", network=direct)
    # A new VPC CIDR replaces the subnets, which replaces the VPC link V2 (its subnets are create-only):
    # a new VPC link id in every integration, with the same routes.
    assert _deployment(tmp_path / "cidr", network={**direct, "cidr": "10.21.0.0/16"}) != base
    # The same routes and the same sources of their values: the same deployment.
    assert _deployment(tmp_path / "again", network=direct) == base
    # Changes that replace nothing the routes use do not re-deploy the API: a task size, a log retention.
    res = build(project(tmp_path / "task", quoting={"cpu": 512, "memory": 1024}, network=direct), "api-stage.yaml")
    assert base in res["Resources"]
    assert _deployment(tmp_path / "logs", network=direct, log_retention_days=14) == base


# ---------------------------------------------------------------------------------------------- first release


def _service(project_dir: Path, tag: str | None) -> dict[str, Any]:
    tags = {"quoting": tag} if tag else None
    return build(project_dir, "compute.yaml", tags)["Resources"]["QuotingService"]["Properties"]  # type: ignore[no-any-return]


def test_first_release_of_an_autoscaled_service_starts_its_minimum_inside_the_deployment(tmp_path: Path) -> None:
    proj = project(tmp_path, quoting=AUTOSCALED)
    assert _service(proj, None)["DesiredCount"] == 0  # no image yet
    assert placement_file(proj)["first_releases"] == {}
    # The first image: from 0 tasks to the autoscaling minimum (not desired_count), under the circuit breaker.
    assert _service(proj, "1.0.0")["DesiredCount"] == 3
    assert placement_file(proj)["first_releases"] == {"quoting": "1.0.0"}
    assert _service(proj, "1.0.0")["DesiredCount"] == 3  # synth again: the same template
    # Every later release leaves the count to autoscaling.
    assert "DesiredCount" not in _service(proj, "1.1.0")
    assert placement_file(proj)["first_releases"] == {"quoting": "1.0.0"}


def test_services_running_before_releases_were_tracked_keep_their_count(tmp_path: Path) -> None:
    # GIVEN a placement file written before first releases were recorded, and a service with an image
    proj = project(tmp_path, quoting=AUTOSCALED)
    old = {"version": 1, "compute": {"quoting": 1, "product-pricing": 1}, "albs": {}, "api_routes": {}}
    write_yaml(proj / "services/environments/dev.placement.json", json.dumps(old))
    # THEN it is taken as released already: no DesiredCount resets what autoscaling chose
    assert "DesiredCount" not in _service(proj, "2.0.0")
    assert placement_file(proj)["first_releases"] == {"quoting": ""}


# ---------------------------------------------------------------------------------------------- alb-direct


def test_alb_direct_rules_match_the_stage_prefix_and_strip_it(tmp_path: Path) -> None:
    proj = project(tmp_path, network={**REGISTRY["environments"]["dev"]["network"], "ingress": "alb-direct"})
    rule = build(proj, "compute.yaml")["Resources"]["QuotingListenerRule"]["Properties"]
    assert rule["Conditions"] == [
        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/dev/quoting", "/dev/quoting/*"]}}
    ]
    assert rule["Transforms"] == [
        {"Type": "url-rewrite", "UrlRewriteConfig": {"Rewrites": [{"Regex": "^/dev(/.*)$", "Replace": "$1"}]}}
    ]
    # The integration sends the path without the stage; API Gateway adds it, the ALB takes it off again.
    method = load(tmp_path / "build/dev/api.yaml")["Resources"]["PublicQuotingProxyAnyMethod"]["Properties"]
    assert method["Integration"]["Uri"] == {
        "Fn::Sub": ["http://${IntegrationHost}/quoting/{proxy}", {"IntegrationHost": {"Ref": "AlbDnsName"}}]
    }


def test_nlb_alb_rules_have_no_stage_prefix(tmp_path: Path) -> None:
    rule = build(project(tmp_path), "compute.yaml")["Resources"]["QuotingListenerRule"]["Properties"]
    assert rule["Conditions"][0]["PathPatternConfig"]["Values"] == ["/quoting", "/quoting/*"]
    assert "Transforms" not in rule


# ---------------------------------------------------------------------------------------------- Region, partition


def test_elb_log_delivery_principal_uses_the_stack_partition(tmp_path: Path) -> None:
    policy = build(project(tmp_path), "network.yaml")["Resources"]["AccessLogBucketPolicy"]
    statement = policy["Properties"]["PolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::156460612806:root"}}


def test_pinned_powertools_layer_is_used_where_the_ssm_parameter_is_not_published(tmp_path: Path) -> None:
    registry = copy.deepcopy(REGISTRY)
    registry["environments"]["dev"]["region"] = "us-gov-west-1"
    registry["environments"]["dev"]["lambda"] = {"powertools": {"layer_version": 27}}
    proj = make_project(tmp_path, registry)
    template = build(proj, "compute.yaml")
    assert "PowertoolsLayerArn" not in template.get("Parameters", {})
    layers = template["Resources"]["ApiKeyValidatorFunction"]["Properties"]["Layers"]
    assert layers == [
        {
            "Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:017000801446:layer:"
            "AWSLambdaPowertoolsPythonV3-python313-x86_64:27"
        }
    ]


# ---------------------------------------------------------------------------------------------- consumers


def test_consumers_table_has_a_name_a_recreated_environment_can_find(tmp_path: Path) -> None:
    table = build(project(tmp_path), "compute.yaml")["Resources"]["ConsumersTable"]
    assert table["Properties"]["TableName"] == "acme-dev-consumers"
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")


def test_every_template_of_these_cases_lints_clean(tmp_path: Path) -> None:
    from support import lint_matches

    proj = project(tmp_path, quoting=AUTOSCALED, api={"cloudwatch_role": True})
    synthesize(proj, "dev", image_tags={"quoting": "1.0.0"}).write()
    problems = {f.name: lint_matches(f.read_text()) for f in sorted((proj / "build/dev").glob("*.yaml"))}
    assert problems == {name: [] for name in problems}
    assert yaml.safe_load((proj / "build/dev/compute.yaml").read_text())["Resources"]["QuotingService"]


def test_a_damaged_repository_record_in_the_placement_file_is_reported(tmp_path: Path) -> None:
    from support import run_cli

    proj = project(tmp_path)
    damaged = {"version": 1, "compute": {}, "albs": {}, "api_routes": {}, "ecr_repositories": "quoting"}
    write_yaml(proj / "services/environments/dev.placement.json", json.dumps(damaged))
    result = run_cli("synth", "--env", "dev", project=proj)
    assert (result.code, result.err) == (
        1,
        "error: services/environments/dev.placement.json: the placement file is damaged (ecr_repositories is not "
        "a list); restore it from version control (deleting it re-places services from scratch, which can move "
        "them between stacks)\n",
    )
