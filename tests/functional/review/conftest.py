"""Fixtures for the review tests: stubbed CloudFormation and STS clients, and a project with the
repository's samconfig.toml and a packaged root template beside it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from stub_responses import PACKAGED, REGION, ROOT, Aws
from support import make_project


@pytest.fixture()
def aws() -> Iterator[Aws]:
    cfn = boto3.client("cloudformation", region_name=REGION)
    sts = boto3.client("sts", region_name=REGION)
    with Stubber(cfn) as cfn_stub, Stubber(sts) as sts_stub:
        yield Aws(cfn, sts, cfn_stub, sts_stub)
        cfn_stub.assert_no_pending_responses()
        sts_stub.assert_no_pending_responses()


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    found = make_project(tmp_path / "project")
    shutil.copy(ROOT / "samconfig.toml", found / "samconfig.toml")
    (tmp_path / "packaged.yaml").write_text(PACKAGED)
    return found
