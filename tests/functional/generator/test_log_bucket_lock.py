"""The ALB access log bucket's versioning (noncurrent versions expire, so its size stays bounded) and
Object Lock with a default retention, and the exemptions that stop applying when they are on
(docs/security.md)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from support import REGISTRY, lint_matches, load, make_project, run_cli

from template_gen.pipeline import synthesize

VERSIONING_RULES = {"CKV_AWS_21", "S3_BUCKET_VERSIONING_ENABLED", "s3_bucket_versioning_enabled_check"}
LOCK_RULES = {"S3_BUCKET_DEFAULT_LOCK_ENABLED", "s3_bucket_object_lock_enabled_check"}


def bucket(tmp_path: Path, **security: Any) -> dict[str, Any]:
    registry = copy.deepcopy(REGISTRY)
    if security:
        registry["environments"]["dev"]["security"] = security
    project = make_project(tmp_path, registry)
    synthesize(project, "dev").write()
    text = (project / "build/dev/network.yaml").read_text()
    assert lint_matches(text) == []
    return load(project / "build/dev/network.yaml")["Resources"]["AccessLogBucket"]  # type: ignore[no-any-return]


def suppressed(resource: dict[str, Any]) -> set[str]:
    metadata = resource.get("Metadata", {})
    return {s["id"] for s in metadata.get("checkov", {}).get("skip", [])} | set(
        metadata.get("guard", {}).get("SuppressedRules", [])
    )


def test_by_default_the_bucket_is_unversioned_and_both_exemptions_apply(tmp_path: Path) -> None:
    resource = bucket(tmp_path)
    props = resource["Properties"]
    assert "VersioningConfiguration" not in props and "ObjectLockEnabled" not in props
    assert "NoncurrentVersionExpiration" not in props["LifecycleConfiguration"]["Rules"][0]
    assert suppressed(resource) >= VERSIONING_RULES | LOCK_RULES


def test_versioning_expires_noncurrent_versions_and_leaves_only_the_lock_exempted(tmp_path: Path) -> None:
    resource = bucket(tmp_path, log_bucket_versioning=True, log_bucket_noncurrent_days=14)
    props = resource["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["LifecycleConfiguration"]["Rules"] == [
        {
            "Id": "expire-access-logs",
            "Status": "Enabled",
            "ExpirationInDays": {"Ref": "AccessLogExpirationDays"},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 14},
        }
    ]
    assert "ObjectLockEnabled" not in props
    assert VERSIONING_RULES.isdisjoint(suppressed(resource))
    assert suppressed(resource) >= LOCK_RULES


def test_object_lock_sets_a_default_retention_and_no_exemption_remains(tmp_path: Path) -> None:
    resource = bucket(
        tmp_path, log_bucket_versioning=True, log_bucket_object_lock_days=30, log_bucket_object_lock_mode="COMPLIANCE"
    )
    props = resource["Properties"]
    assert props["ObjectLockEnabled"] is True
    assert props["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 30}},
    }
    assert props["LifecycleConfiguration"]["Rules"][0]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert (VERSIONING_RULES | LOCK_RULES).isdisjoint(suppressed(resource))


@pytest.mark.parametrize(
    ("security", "network", "message"),
    [
        (
            {"log_bucket_object_lock_days": 30},
            {},
            "services/registry.yaml: environments.dev.security: log_bucket_object_lock_days needs "
            "log_bucket_versioning: true (S3 Object Lock works only on a versioned bucket)",
        ),
        (
            {"log_bucket_versioning": True, "log_bucket_object_lock_days": 0},
            {},
            "services/registry.yaml: environments.dev.security.log_bucket_object_lock_days: 0 is outside the allowed "
            "range 1..3650",
        ),
        (
            {"log_bucket_versioning": True, "log_bucket_object_lock_days": 7, "log_bucket_object_lock_mode": "legal"},
            {},
            "services/registry.yaml: environments.dev.security.log_bucket_object_lock_mode: must be one of "
            "'GOVERNANCE' or 'COMPLIANCE' (got 'legal')",
        ),
        (
            {"log_bucket_versioning": True},
            {"alb": {"access_logs": False}},
            "services/registry.yaml: environments.dev.security.log_bucket_versioning: there is no log bucket to "
            "version: network.alb.access_logs is false",
        ),
    ],
)
def test_log_bucket_settings_that_cannot_work_are_refused_with_their_field(
    tmp_path: Path, security: dict[str, Any], network: dict[str, Any], message: str
) -> None:
    registry = copy.deepcopy(REGISTRY)
    registry["environments"]["dev"]["security"] = security
    registry["environments"]["dev"]["network"].update(network)
    result = run_cli("validate", project=make_project(tmp_path, registry))
    assert result.code == 1
    assert message in result.err
