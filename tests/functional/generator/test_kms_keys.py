"""security.kms_key_arn: the environment's customer-managed key on every table, queue, repository and
Lambda environment the platform creates, the KMS permissions each role needs, and repositories that keep
the encryption they were created with (docs/security.md)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from support import PRICING, PROXY_APP, QUOTING, REGISTRY, lint_matches, load, make_project, resources_of_type, run_cli

from template_gen.pipeline import synthesize

KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY = "arn:aws:kms:eu-west-1:123456789012:key/9999abcd-12ab-34cd-56ef-1234567890ab"
WORKER = {"kind": "worker", "cpu": 256, "memory": 512, "queue": {}}
REPORTS = {
    "kind": "lambda",
    "events": {"nightly": {"schedule": "rate(1 day)"}, "requests": {"sqs": {"batch_size": 5}}},
}
VIA_DYNAMODB = {"StringEquals": {"kms:ViaService": {"Fn::Sub": "dynamodb.${AWS::Region}.amazonaws.com"}}}
VIA_SQS = {"StringEquals": {"kms:ViaService": {"Fn::Sub": "sqs.${AWS::Region}.amazonaws.com"}}}


def project(tmp_path: Path, key: str | None = KEY, services: tuple[str, ...] = ()) -> Path:
    registry = copy.deepcopy(REGISTRY)
    dev = registry["environments"]["dev"]
    dev["services"] = ["quoting", "product-pricing", "notifier", "reports", *services]
    if key:
        dev["security"] = {"kms_key_arn": key}
    available = {"quoting": QUOTING, "product-pricing": PRICING, "notifier": WORKER, "reports": REPORTS}
    available["billing"] = {**copy.deepcopy(QUOTING), "api": {"base_path": "/billing"}, "alb": {"priority": 30}}
    return make_project(tmp_path, registry, available, {"functions/reports": PROXY_APP})


def compute(project_dir: Path) -> tuple[dict[str, Any], tuple[str, ...]]:
    result = synthesize(project_dir, "dev").write()
    text = (project_dir / "build/dev/compute.yaml").read_text()
    assert lint_matches(text) == []
    return load(project_dir / "build/dev/compute.yaml"), tuple(result.warnings)


def statements(template: dict[str, Any], role: str) -> dict[str, dict[str, Any]]:
    policy = template["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]
    return {s["Sid"]: s for s in policy["Statement"]}


def skipped(resource: dict[str, Any]) -> set[str]:
    metadata = resource.get("Metadata", {})
    return {s["id"] for s in metadata.get("checkov", {}).get("skip", [])} | set(
        metadata.get("guard", {}).get("SuppressedRules", [])
    )


def test_the_key_encrypts_every_table_queue_repository_and_function(tmp_path: Path) -> None:
    template, _ = compute(project(tmp_path))
    tables = resources_of_type(template, "AWS::DynamoDB::Table")
    assert sorted(tables) == ["ConsumersTable", "IdempotencyTable"]
    for table in tables.values():
        assert table["Properties"]["SSESpecification"] == {"KMSMasterKeyId": KEY, "SSEEnabled": True, "SSEType": "KMS"}
        assert {"CKV_AWS_119", "DYNAMODB_TABLE_ENCRYPTED_KMS"}.isdisjoint(skipped(table))
    queues = resources_of_type(template, "AWS::SQS::Queue")
    assert sorted(queues) == [
        "NotifierDeadLetterQueue", "NotifierQueue", "ReportsFailedEventsQueue", "ReportsRequestsDeadLetterQueue",
        "ReportsRequestsQueue",
    ]  # fmt: skip
    for queue in queues.values():
        assert (queue["Properties"]["KmsMasterKeyId"], queue["Properties"]["KmsDataKeyReusePeriodSeconds"]) == (
            KEY,
            300,
        )
        assert "SqsManagedSseEnabled" not in queue["Properties"]
        assert {"CKV_AWS_27", "SQS_QUEUE_KMS_MASTER_KEY_ID_RULE"}.isdisjoint(skipped(queue))
    repositories = resources_of_type(template, "AWS::ECR::Repository")
    assert sorted(repositories) == ["NotifierRepository", "ProductPricingRepository", "QuotingRepository"]
    for repository in repositories.values():
        assert repository["Properties"]["EncryptionConfiguration"] == {"EncryptionType": "KMS", "KmsKey": KEY}
        assert "CKV_AWS_136" not in skipped(repository)
    functions = resources_of_type(template, "AWS::Serverless::Function")
    assert sorted(functions) == [
        "ApiKeyValidatorFunction",
        "OnboardingFunction",
        "ReconcilerFunction",
        "ReportsFunction",
    ]
    for function in functions.values():
        assert function["Properties"]["KmsKeyArn"] == KEY
        assert "CKV_AWS_173" not in skipped(function)


def test_each_role_gets_exactly_the_key_actions_it_needs(tmp_path: Path) -> None:
    template, _ = compute(project(tmp_path))
    decrypt_environment = {"Sid": "DecryptEnvironment", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [KEY]}
    table_key = {
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"],
        "Resource": [KEY],
        "Condition": VIA_DYNAMODB,
    }
    validator = statements(template, "ApiKeyValidatorRole")
    assert validator["DecryptEnvironment"] == decrypt_environment
    assert validator["ConsumersTableKey"] == {"Sid": "ConsumersTableKey", **table_key}
    assert statements(template, "OnboardingRole")["TablesKey"] == {"Sid": "TablesKey", **table_key}
    assert statements(template, "ReconcilerRole")["ConsumersTableKey"] == {"Sid": "ConsumersTableKey", **table_key}
    reports = statements(template, "ReportsRole")
    assert reports["DecryptEnvironment"] == decrypt_environment
    # The SQS event source mapping receives with the function's role; failed invocations are sent with it.
    assert reports["ConsumeRequestsKey"] == {
        "Sid": "ConsumeRequestsKey", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [KEY],
        "Condition": VIA_SQS,
    }  # fmt: skip
    assert reports["SendFailedEventsKey"] == {
        "Sid": "SendFailedEventsKey", "Effect": "Allow", "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
        "Resource": [KEY], "Condition": VIA_SQS,
    }  # fmt: skip
    assert statements(template, "NotifierTaskRole")["ConsumeQueueKey"] == {
        "Sid": "ConsumeQueueKey", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [KEY], "Condition": VIA_SQS,
    }  # fmt: skip
    for service in ("Quoting", "ProductPricing", "Notifier"):
        assert statements(template, f"{service}ExecutionRole")["DecryptOwnImages"] == {
            "Sid": "DecryptOwnImages", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [KEY],
        }  # fmt: skip


def test_without_the_key_nothing_names_kms(tmp_path: Path) -> None:
    template, _ = compute(project(tmp_path, key=None))
    assert "kms:" not in json.dumps(template["Resources"])
    queue = template["Resources"]["NotifierQueue"]
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    assert {"CKV_AWS_27", "SQS_QUEUE_KMS_MASTER_KEY_ID_RULE"} <= skipped(queue)
    assert "CKV_AWS_173" in skipped(template["Resources"]["ReportsFunction"])


def test_an_existing_repository_keeps_its_encryption_and_new_ones_get_the_key(tmp_path: Path) -> None:
    # GIVEN an environment deployed without the key
    compute(project(tmp_path, key=None))
    placement = json.loads((tmp_path / "services/environments/dev.placement.json").read_text())
    assert "ecr_repository_keys" not in placement
    # WHEN the key is turned on and a service is added
    template, notes = compute(project(tmp_path, services=("billing",)))
    # THEN the repositories that exist keep AES-256 (EncryptionConfiguration is create-only, and a named
    # repository cannot be replaced), and only the new one is encrypted with the key
    repositories = resources_of_type(template, "AWS::ECR::Repository")
    encryption = {lid: r["Properties"]["EncryptionConfiguration"] for lid, r in repositories.items()}
    assert encryption == {
        "BillingRepository": {"EncryptionType": "KMS", "KmsKey": KEY},
        "NotifierRepository": {"EncryptionType": "AES256"},
        "ProductPricingRepository": {"EncryptionType": "AES256"},
        "QuotingRepository": {"EncryptionType": "AES256"},
    }
    assert "CKV_AWS_136" in skipped(repositories["QuotingRepository"])
    assert "DecryptOwnImages" not in statements(template, "QuotingExecutionRole")
    assert "DecryptOwnImages" in statements(template, "BillingExecutionRole")
    assert [n for n in notes if "keeps its ECR repository" in n] == [
        f"service '{name}' keeps its ECR repository encrypted with AES-256, not with security.kms_key_arn: a "
        "repository's encryption is fixed when it is created (docs/security.md, moving a repository to the key)"
        for name in ("notifier", "product-pricing", "quoting")
    ]
    placement = json.loads((tmp_path / "services/environments/dev.placement.json").read_text())
    assert placement["ecr_repository_keys"] == {"billing": KEY}
    # AND a later key change leaves the repository with the key it was created with
    template, notes = compute(project(tmp_path, key=OTHER_KEY, services=("billing",)))
    billing = template["Resources"]["BillingRepository"]["Properties"]["EncryptionConfiguration"]
    assert billing == {"EncryptionType": "KMS", "KmsKey": KEY}
    assert statements(template, "BillingExecutionRole")["DecryptOwnImages"]["Resource"] == [KEY]
    assert f"service 'billing' keeps its ECR repository encrypted with the key {KEY}, not with security." in "\n".join(
        notes
    )


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (
            "arn:aws:kms:eu-west-1:123456789012:alias/platform",
            "services/registry.yaml: environments.dev.security.kms_key_arn: "
            "'arn:aws:kms:eu-west-1:123456789012:alias/platform' does not match the expected format "
            r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$",
        ),
        (
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "services/registry.yaml: environments.dev.security.kms_key_arn: the key is in us-east-1, but the "
            "environment deploys to eu-west-1: DynamoDB, ECR, SQS and Lambda take only a key of their own Region",
        ),
    ],
)
def test_a_key_that_cannot_work_is_refused_with_its_field(tmp_path: Path, key: str, message: str) -> None:
    registry = copy.deepcopy(REGISTRY)
    registry["environments"]["dev"]["security"] = {"kms_key_arn": key}
    result = run_cli("validate", project=make_project(tmp_path, registry))
    assert result.code == 1
    assert message in result.err


def test_without_the_placement_file_the_guard_refuses_to_replace_a_repository(tmp_path: Path) -> None:
    # GIVEN a build made before the key, and a placement file that was lost
    before = project(tmp_path / "a", key=None)
    synthesize(before, "dev").write()
    now = project(tmp_path / "b")
    # WHEN the key is turned on
    result = run_cli("diff", "--env", "dev", "--against", str(before / "build/dev"), project=now)
    # THEN every existing repository would be replaced (EncryptionConfiguration is create-only): refused
    assert result.code == 4
    assert (
        "refused: QuotingRepository (AWS::ECR::Repository) in compute.yaml (ComputeStack): replaced, because of "
        "EncryptionConfiguration.EncryptionType, EncryptionConfiguration.KmsKey"
    ) in result.out + result.err


def test_a_placement_file_from_before_repositories_were_tracked_keeps_every_placed_repository(tmp_path: Path) -> None:
    # GIVEN a placement file that knows where services live but not which repositories exist
    placed = {"quoting": 1, "product-pricing": 1, "notifier": 1, "reports": 1}
    legacy = {"version": 1, "compute": placed, "albs": {"quoting": 1, "product-pricing": 1}, "api_routes": {}}
    project_dir = project(tmp_path)
    (project_dir / "services/environments").mkdir(parents=True)
    (project_dir / "services/environments/dev.placement.json").write_text(json.dumps(legacy))
    # WHEN the key is set
    template, _ = compute(project_dir)
    # THEN the worker's repository (a worker has no ALB) is not taken for a new one either
    encryption = {
        lid: r["Properties"]["EncryptionConfiguration"]["EncryptionType"]
        for lid, r in resources_of_type(template, "AWS::ECR::Repository").items()
    }
    assert encryption == dict.fromkeys(
        ["NotifierRepository", "ProductPricingRepository", "QuotingRepository"], "AES256"
    )
