"""The third platform `make scan` scans (scan/hardened.py): the example with every security option on. It
must stay a valid registry whose templates really carry the options, or the scan would check nothing."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from support import load, run_cli

ROOT = Path(__file__).resolve().parents[3]


def hardened_module() -> Any:
    spec = importlib.util.spec_from_file_location("hardened", ROOT / "scan" / "hardened.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def of_type(resources: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r.get("Properties", {}) for name, r in resources.items() if r["Type"] == kind}


def test_the_hardened_example_validates_and_every_option_reaches_the_templates(tmp_path: Path) -> None:
    project = tmp_path / "hardened"
    hardened_module().harden(project)
    assert run_cli("validate", project=project).code == 0
    for env in ("dev", "prod"):
        result = run_cli("synth", "--env", env, project=project)
        assert result.code == 0, result.err
        build = project / "build" / env
        network = load(build / "network.yaml")["Resources"]
        compute = load(build / "compute.yaml")["Resources"]
        stage = load(build / "api-stage.yaml")["Resources"]

        listeners = of_type(network, "AWS::ElasticLoadBalancingV2::Listener")
        https = [p for p in listeners.values() if p.get("Protocol") == "HTTPS"]
        assert [(p["Port"], p["SslPolicy"]) for p in https] == [(443, "ELBSecurityPolicy-TLS13-1-2-2021-06")]
        assert not [p for p in listeners.values() if p.get("Protocol") == "HTTP"]
        bucket = next(iter(of_type(network, "AWS::S3::Bucket").values()))
        assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
        assert bucket["ObjectLockEnabled"] is True
        assert len(of_type(network, "AWS::EC2::VPCEndpoint")) == 12  # ecr = ecr.api + ecr.dkr; s3 is a gateway

        groups = {**of_type(network, "AWS::EC2::SecurityGroup"), **of_type(compute, "AWS::EC2::SecurityGroup")}
        open_egress = {
            n for n, p in groups.items() if any(r.get("CidrIp") == "0.0.0.0/0" for r in p["SecurityGroupEgress"])
        }
        # Only the function in the VPC keeps open egress (docs/security.md).
        assert open_egress == {"PlatformInfoSecurityGroup"}
        assert all("KmsKeyId" in p for p in of_type(compute, "AWS::Logs::LogGroup").values())
        assert all(p["SSESpecification"]["SSEType"] == "KMS" for p in of_type(compute, "AWS::DynamoDB::Table").values())
        assert all("KmsKeyArn" in p for p in of_type(compute, "AWS::Serverless::Function").values())
        for task in of_type(compute, "AWS::ECS::TaskDefinition").values():
            for container in task["ContainerDefinitions"]:
                assert container.get("ReadonlyRootFilesystem") is True, container["Name"]
        stages = of_type(stage, "AWS::ApiGateway::Stage")
        assert {p["CacheClusterEnabled"] for p in stages.values()} == {True}
