"""TLS to the internal ALB (security.alb_certificate_arn and security.alb_tls_hostname, docs/security.md): an
HTTPS listener with the certificate that every rule attaches to, 443 through the NLB (or the VPC link v2)
and the security groups, HTTPS integrations naming the certificate's host, and refusals of bad settings."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import REGISTRY, make_project, resources_of_type, run_cli, synth_linted, write_yaml

from template_gen.stacks import exemptions

CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
HOST = "internal.acme.example"
TLS = {"alb_certificate_arn": CERT, "alb_tls_hostname": HOST}
TAGS = [{"Key": "environment", "Value": "dev"}, {"Key": "platform", "Value": "acme"}]
MODES = ["nlb-alb", "alb-direct"]


def project(tmp_path: Path, ingress: str = "nlb-alb", albs: dict[str, int] | None = None, **security: Any) -> Path:
    registry = copy.deepcopy(REGISTRY)
    dev = registry["environments"]["dev"]
    dev["security"] = security
    dev["network"]["ingress"] = ingress
    root = make_project(tmp_path / "project", registry)
    if albs:  # a committed placement that puts services behind a second ALB
        placement = {"version": 1, "compute": {}, "albs": albs, "api_routes": {}}
        write_yaml(root / "services" / "environments" / "dev.placement.json", json.dumps(placement))
    return root


def synth(tmp_path: Path, ingress: str = "nlb-alb", albs: dict[str, int] | None = None) -> dict[str, Any]:
    root = project(tmp_path, ingress, albs, **TLS)
    parsed, stderr = synth_linted(root, tmp_path / "out")
    parsed["stderr"] = stderr
    return parsed


def bare(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource without its tags and scanner metadata."""
    out = {k: v for k, v in resource.items() if k != "Metadata"}
    out["Properties"] = {k: v for k, v in resource["Properties"].items() if k != "Tags"}
    return out


@pytest.fixture(scope="module", params=MODES)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    mode: str = request.param
    return mode, synth(tmp_path_factory.mktemp(mode), mode)


def test_the_alb_listens_with_https_and_the_certificate(built: tuple[str, dict[str, Any]]) -> None:
    _, templates = built
    resources = templates["network.yaml"]["Resources"]
    assert "AlbListener" not in resources
    listener = resources["AlbHttpsListener"]
    assert bare(listener) == {
        "Type": "AWS::ElasticLoadBalancingV2::Listener",
        "Properties": {
            "LoadBalancerArn": {"Ref": "Alb"},
            "Port": 443,
            "Protocol": "HTTPS",
            "Certificates": [{"CertificateArn": CERT}],
            "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
            "DefaultActions": [
                {
                    "Type": "fixed-response",
                    "FixedResponseConfig": {
                        "StatusCode": "404", "ContentType": "application/json", "MessageBody": '{"message":"Not Found"}',
                    },
                }
            ],
        },
    }  # fmt: skip
    assert "Metadata" not in listener  # nothing left to exempt: HTTPS with a TLS 1.2+ policy and an ACM certificate
    assert resources["AlbHealthRule"]["Properties"]["ListenerArn"] == {"Ref": "AlbHttpsListener"}
    assert templates["network.yaml"]["Outputs"]["AlbListenerArn"]["Value"] == {"Ref": "AlbHttpsListener"}


def test_every_service_rule_attaches_to_the_https_listener(built: tuple[str, dict[str, Any]]) -> None:
    _, templates = built
    rules = resources_of_type(templates["compute.yaml"], "AWS::ElasticLoadBalancingV2::ListenerRule")
    assert {lid: r["Properties"]["ListenerArn"] for lid, r in rules.items()} == {
        "QuotingListenerRule": {"Ref": "AlbListenerArn"},
        "ProductPricingListenerRule": {"Ref": "AlbListenerArn"},
    }
    compute = templates["template.yaml"]["Resources"]["ComputeStack"]["Properties"]["Parameters"]
    assert compute["AlbListenerArn"] == {"Fn::GetAtt": ["NetworkStack", "Outputs.AlbListenerArn"]}


def test_the_alb_admits_443_only_from_the_hop_in_front_of_it(built: tuple[str, dict[str, Any]]) -> None:
    mode, templates = built
    resources = templates["network.yaml"]["Resources"]
    front, why = (
        ("NlbSecurityGroup", "from the NLB (the API Gateway VPC link)")
        if mode == "nlb-alb"
        else ("VpcLinkSecurityGroup", "from the API Gateway VPC link")
    )
    assert resources["AlbIngressFromApiGateway"] == {
        "Type": "AWS::EC2::SecurityGroupIngress",
        "Properties": {
            "GroupId": {"Fn::GetAtt": ["AlbSecurityGroup", "GroupId"]},
            "IpProtocol": "tcp",
            "FromPort": 443,
            "ToPort": 443,
            "SourceSecurityGroupId": {"Fn::GetAtt": [front, "GroupId"]},
            "Description": f"HTTPS {why}",
        },
    }
    described = "HTTPS and health checks to the internal ALB" if mode == "nlb-alb" else "HTTPS to the internal ALB"
    assert resources[front]["Properties"]["SecurityGroupEgress"] == [
        {
            "IpProtocol": "tcp",
            "FromPort": 443,
            "ToPort": 443,
            "DestinationSecurityGroupId": {"Fn::GetAtt": ["AlbSecurityGroup", "GroupId"]},
            "Description": described,
        }
    ]


def test_the_nlb_passes_tls_through_to_the_alb_on_443(tmp_path: Path) -> None:
    resources = synth(tmp_path)["network.yaml"]["Resources"]
    assert not {"IngressNlbListener", "IngressNlbToAlbTargetGroup"} & set(resources)
    assert bare(resources["IngressNlbToAlbTlsTargetGroup"]) == {
        "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
        "DependsOn": ["AlbHttpsListener"],
        "Properties": {
            "TargetType": "alb",
            "Protocol": "TCP",
            "Port": 443,
            "VpcId": {"Ref": "Vpc"},
            "Targets": [{"Id": {"Ref": "Alb"}, "Port": 443}],
            "HealthCheckProtocol": "HTTPS",
            "HealthCheckPath": "/_platform/health",
            "Matcher": {"HttpCode": "200"},
        },
    }
    listener = resources["IngressNlbTlsListener"]
    assert bare(listener) == {
        "Type": "AWS::ElasticLoadBalancingV2::Listener",
        "Properties": {
            "LoadBalancerArn": {"Ref": "IngressNlb"},
            "Port": 443,
            "Protocol": "TCP",
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "IngressNlbToAlbTlsTargetGroup"}}],
        },
    }
    reason = next(e.reason for e in exemptions.EXEMPTIONS if e.guard == ("ELBV2_LISTENER_SSL_POLICY_RULE",))
    assert listener["Metadata"] == {
        "guard": {"SuppressedRules": ["ELBV2_LISTENER_SSL_POLICY_RULE"]},
        "template-gen": {"exemptions": {"ELBV2_LISTENER_SSL_POLICY_RULE": reason}},
    }
    assert resources["VpcLink"]["DependsOn"] == ["IngressNlbTlsListener"]


def test_integrations_connect_with_https_naming_the_certificates_host(built: tuple[str, dict[str, Any]]) -> None:
    mode, templates = built
    api = templates["api.yaml"]
    integrations = {
        lid: m["Properties"]["Integration"]
        for lid, m in resources_of_type(api, "AWS::ApiGateway::Method").items()
        if m["Properties"].get("Integration", {}).get("ConnectionType") == "VPC_LINK"
    }
    assert {lid: i["Uri"] for lid, i in integrations.items()} == {
        "PublicQuotingAnyMethod": f"https://{HOST}/quoting",
        "PublicQuotingProxyAnyMethod": f"https://{HOST}/quoting/{{proxy}}",
        "PublicProductPricingAnyMethod": f"https://{HOST}/product-pricing",
        "PublicProductPricingProxyAnyMethod": f"https://{HOST}/product-pricing/{{proxy}}",
    }
    assert [i["ConnectionId"] for i in integrations.values()] == [{"Ref": "VpcLinkId"}] * 4
    targets = [i.get("IntegrationTarget") for i in integrations.values()]
    assert targets == ([None] * 4 if mode == "nlb-alb" else [{"Ref": "AlbArn"}] * 4)
    # The load balancers' DNS names are no longer needed: the VPC link decides where the connection goes.
    assert not {"NlbDnsName", "AlbDnsName"} & set(api["Parameters"])


def test_synth_says_what_the_certificate_must_cover(built: tuple[str, dict[str, Any]]) -> None:
    _, templates = built
    assert templates["stderr"].splitlines()[0] == (
        f"note: TLS to the internal ALB (security.alb_certificate_arn): the certificate must cover {HOST} and come "
        "from a public certificate authority (an ACM public certificate does; API Gateway does not trust ACM Private "
        "CA), or API Gateway answers every request to a container service with 500 ('Execution failed due to "
        "configuration error' in the execution log)"
    )


def test_a_second_alb_sits_behind_the_next_tls_port(tmp_path: Path) -> None:
    templates = synth(tmp_path, albs={"product-pricing": 2})
    network = templates["network.yaml"]["Resources"]
    assert network["IngressNlbTlsListener2"]["Properties"]["Port"] == 444
    assert network["IngressNlbTlsListener2"]["Properties"]["DefaultActions"] == [
        {"Type": "forward", "TargetGroupArn": {"Ref": "IngressNlbToAlb2TlsTargetGroup"}}
    ]
    assert network["IngressNlbToAlb2TlsTargetGroup"]["Properties"]["Targets"] == [{"Id": {"Ref": "Alb2"}, "Port": 443}]
    assert network["IngressNlbToAlb2TlsTargetGroup"]["DependsOn"] == ["Alb2HttpsListener"]
    assert network["Alb2HttpsListener"]["Properties"]["Certificates"] == [{"CertificateArn": CERT}]
    method = templates["api.yaml"]["Resources"]["PublicProductPricingAnyMethod"]["Properties"]["Integration"]
    assert method["Uri"] == f"https://{HOST}:444/product-pricing"


@pytest.mark.parametrize(
    ("protocol", "port", "rules"),
    [
        ("HTTP", 80, ["ELBV2_LISTENER_PROTOCOL_RULE", "ELBV2_LISTENER_SSL_POLICY_RULE", "alb_http_to_https_redirection_check"]),
        ("TCP", 81, ["ELBV2_LISTENER_PROTOCOL_RULE", "ELBV2_LISTENER_SSL_POLICY_RULE", "alb_http_to_https_redirection_check"]),
        ("TCP", 444, ["ELBV2_LISTENER_SSL_POLICY_RULE"]),
        ("HTTPS", 443, []),
    ],
)  # fmt: skip
def test_the_listener_exemption_stops_where_tls_starts(protocol: str, port: int, rules: list[str]) -> None:
    found = exemptions.for_resource("AWS::ElasticLoadBalancingV2::Listener", {"Protocol": protocol, "Port": port})
    assert [rule for e in found for rule in e.guard] == rules


# ---------------------------------------------------------------------------------------------- bad settings
OTHER_REGION = CERT.replace("eu-west-1", "us-east-1")
OTHER_PARTITION = CERT.replace("arn:aws:", "arn:aws-cn:")
FIELD = "services/registry.yaml: environments.dev.security"


@pytest.mark.parametrize(
    ("security", "expected"),
    [
        (
            {"alb_certificate_arn": CERT},
            [
                f"{FIELD}.alb_tls_hostname: required when security.alb_certificate_arn is set: the host name the "
                "certificate covers, which API Gateway sends as Host and checks the certificate against"
            ],
        ),
        (
            {"alb_tls_hostname": HOST},
            [
                f"{FIELD}.alb_certificate_arn: required when security.alb_tls_hostname is set: the ACM certificate of "
                "the ALB's HTTPS listener"
            ],
        ),
        (
            {"alb_certificate_arn": OTHER_REGION, "alb_tls_hostname": HOST},
            [
                f"{FIELD}.alb_certificate_arn: the ALB's certificate must be in the environment's Region (eu-west-1); "
                "this one is in us-east-1",
                "    hint: request or import the certificate in ACM in eu-west-1 (ACM certificates are regional)",
            ],
        ),
        (
            {"alb_certificate_arn": OTHER_PARTITION, "alb_tls_hostname": HOST},
            [
                f"{FIELD}.alb_certificate_arn: the certificate is in the aws-cn partition; the environment's Region "
                "eu-west-1 is in aws"
            ],
        ),
        (
            {"alb_certificate_arn": "arn:aws:iam::123456789012:server-certificate/internal", "alb_tls_hostname": HOST},
            [
                f"{FIELD}.alb_certificate_arn: 'arn:aws:iam::123456789012:server-certificate/internal' does not match "
                r"the expected format ^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+$"
            ],
        ),
        (
            {"alb_certificate_arn": CERT, "alb_tls_hostname": "*.acme.example"},
            [
                f"{FIELD}.alb_tls_hostname: '*.acme.example' does not match the expected format "
                r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
            ],
        ),
    ],
    ids=["no_host_name", "no_certificate", "other_region", "other_partition", "not_acm", "wildcard_host_name"],
)
def test_a_bad_tls_setting_is_refused_with_its_field(
    tmp_path: Path, security: dict[str, str], expected: list[str]
) -> None:
    result = run_cli("validate", "--env", "dev", project=project(tmp_path, **security))
    assert result.code == 1
    problems = sum(1 for line in expected if not line.startswith("    hint:"))
    assert result.err.splitlines() == [*expected, f"error: {problems} problem{'s' if problems > 1 else ''} found"]


# ---------------------------------------------------------------------------------------------- upgrading
@pytest.mark.parametrize("ingress", MODES)
def test_turning_tls_on_builds_the_https_path_beside_the_http_one(tmp_path: Path, ingress: str) -> None:
    # GIVEN an environment deployed without TLS to the ALB
    root = project(tmp_path, ingress)
    assert run_cli("synth", "--env", "dev", "--out", str(tmp_path / "before"), project=root).code == 0
    # WHEN the certificate and host name are set
    registry = yaml.safe_load((root / "services" / "registry.yaml").read_text())
    registry["environments"]["dev"]["security"] = TLS
    write_yaml(root / "services" / "registry.yaml", registry)
    result = run_cli("diff", "--env", "dev", "--against", str(tmp_path / "before"), "--format", "json", project=root)
    # THEN the listeners and target groups are new objects, and only the ALB's inbound rule is replaced
    assert result.code == 0, result.err
    stacks = {s["file"]: s for s in json.loads(result.out)["stacks"]}
    network = {(r["action"], r["logical_id"], r["replacement"]) for r in stacks["network.yaml"]["resources"]}
    nlb = {
        ("remove", "IngressNlbListener", None),
        ("remove", "IngressNlbToAlbTargetGroup", None),
        ("add", "IngressNlbTlsListener", None),
        ("add", "IngressNlbToAlbTlsTargetGroup", None),
        ("modify", "NlbSecurityGroup", "False"),
        ("modify", "VpcLink", "False"),  # its DependsOn names the new NLB listener
    }
    assert network == {
        ("modify", "AlbIngressFromApiGateway", "True"),
        ("modify", "AlbHealthRule", "Conditional"),
        ("remove", "AlbListener", None),
        ("add", "AlbHttpsListener", None),
        *(nlb if ingress == "nlb-alb" else {("modify", "VpcLinkSecurityGroup", "False")}),
    }
    compute = {(r["action"], r["logical_id"], r["replacement"]) for r in stacks["compute.yaml"]["resources"]}
    assert compute == {
        ("modify", "QuotingListenerRule", "Conditional"),
        ("modify", "ProductPricingListenerRule", "Conditional"),
    }
    api = {r["logical_id"] for r in stacks["api.yaml"]["resources"] if r["action"] == "modify"}
    assert api == {
        "PublicQuotingAnyMethod", "PublicQuotingProxyAnyMethod",
        "PublicProductPricingAnyMethod", "PublicProductPricingProxyAnyMethod",
    }  # fmt: skip


def test_the_old_target_group_is_deleted_before_the_listener_it_is_registered_on(tmp_path: Path) -> None:
    """CloudFormation's cleanup deletes removed resources in the reverse order of the old template's
    references: the NLB listener, its target group (which names the ALB listener in DependsOn), then the
    ALB listener, which cannot go while the ALB is registered on its port."""
    root = project(tmp_path)
    assert run_cli("synth", "--env", "dev", "--out", str(tmp_path / "out"), project=root).code == 0
    old = yaml.safe_load((tmp_path / "out" / "network.yaml").read_text())["Resources"]
    assert old["IngressNlbToAlbTargetGroup"]["DependsOn"] == ["AlbListener"]
    assert old["IngressNlbListener"]["Properties"]["DefaultActions"][0]["TargetGroupArn"] == {
        "Ref": "IngressNlbToAlbTargetGroup"
    }


def test_without_the_setting_the_hop_stays_http_and_synth_says_nothing_of_tls(tmp_path: Path) -> None:
    root = project(tmp_path)
    result = run_cli("synth", "--env", "dev", "--out", str(tmp_path / "out"), project=root)
    assert result.code == 0
    assert "TLS" not in result.err
    listener = yaml.safe_load((tmp_path / "out" / "network.yaml").read_text())["Resources"]["AlbListener"]
    assert (listener["Properties"]["Port"], listener["Properties"]["Protocol"]) == (80, "HTTP")
    assert "Certificates" not in listener["Properties"]
