"""scan/run.py's reading of cfn-guard and cfn-lint results: a finding counts unless the failing resource
suppresses that rule in its Metadata (the Control Tower rules do not look at it themselves)."""

from __future__ import annotations

import importlib.util
import json
import stat
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[3]


def runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("scan_run", ROOT / "scan" / "run.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["scan_run"] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def fake_tool(tmp_path: Path, name: str, output: object, code: int) -> str:
    tool = tmp_path / name
    tool.write_text(f"#!/bin/sh\ncat <<'EOF'\n{json.dumps(output)}\nEOF\nexit {code}\n")
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    return str(tool)


TEMPLATE = """Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Metadata:
      guard:
        SuppressedRules: [cloudwatch_log_group_encrypted_check]
  Other:
    Type: AWS::Logs::LogGroup
"""


def test_guard_findings_on_resources_that_suppress_the_rule_are_dropped(tmp_path: Path) -> None:
    template = tmp_path / "build" / "dev" / "network.yaml"
    template.parent.mkdir(parents=True)
    template.write_text(TEMPLATE)
    check = {"Clause": {"Unary": {"check": {"UnResolved": {"value": {"traversed_to": {"path": "/Resources/{}"}}}}}}}
    failing = [json.loads(json.dumps(check).replace("{}", lid)) for lid in ("Logs", "Other")]
    output = [
        {
            "name": str(template),
            "not_compliant": [{"Rule": {"name": "cloudwatch_log_group_encrypted_check", "checks": failing}}],
        }
    ]
    guard = fake_tool(tmp_path, "cfn-guard", output, 19)
    findings = runner().run_guard(guard, {"control-tower": tmp_path}, [template], tmp_path / "build")
    assert [tuple(f.__dict__.values()) for f in findings] == [
        ("cfn-guard:control-tower", "dev/network.yaml", "Other", "cloudwatch_log_group_encrypted_check")
    ]


def test_cfn_guard_that_cannot_run_stops_the_scan(tmp_path: Path) -> None:
    guard = fake_tool(tmp_path, "cfn-guard", [], 5)
    try:
        runner().run_guard(guard, {"x": tmp_path}, [tmp_path / "t.yaml"], tmp_path)
    except SystemExit as stop:
        assert str(stop).startswith("cfn-guard could not run (exit 5)")
    else:
        raise AssertionError("expected the scan to stop")


def test_cfn_lint_matches_name_their_resource(tmp_path: Path) -> None:
    match = {
        "Filename": str(tmp_path / "dev" / "compute.yaml"),
        "Location": {"Path": ["Resources", "ReportsFunction"]},
        "Rule": {"Id": "WS1004"},
    }
    cfn_lint = fake_tool(tmp_path, "cfn-lint", [match], 4)
    findings = runner().run_cfn_lint(cfn_lint, [tmp_path / "dev" / "compute.yaml"], tmp_path)
    assert [tuple(f.__dict__.values()) for f in findings] == [
        ("cfn-lint", "dev/compute.yaml", "ReportsFunction", "WS1004")
    ]
