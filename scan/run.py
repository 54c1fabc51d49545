"""Scan every generated template with the scanners platform teams run, and fail on any finding that is
not a documented exemption (docs/security.md):

  - checkov (CloudFormation framework); it honours Metadata.checkov.skip itself;
  - cfn-guard with the Control Tower proactive-control rules and the AWS Guard Rules Registry rules. The
    Guard Rules Registry rules honour Metadata.guard.SuppressedRules; the Control Tower rules do not, so a
    failure is counted only when the failing resource does not list the rule in its SuppressedRules;
  - cfn-lint with its serverless rules (cfn-lint-serverless); it honours Metadata cfn-lint ignore_checks.

    python scan/run.py --checkov .venv-scan/bin/checkov --cfn-lint .venv-scan/bin/cfn-lint --guard CFN_GUARD \\
        --rules NAME=DIR [--rules NAME=DIR] \\
        --platform NAME=DIR [--platform NAME=DIR]

Each DIR of --platform is a project folder (with services/registry.yaml): every environment of it is
synthesized into a temporary folder and every template written there (<env>/*.yaml) is scanned. Prints one
line per unsuppressed finding and a summary with times; exits 1 if any finding is left.
"""

from __future__ import annotations

import argparse
import functools
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

GUARD_FAILED = 19  # cfn-guard's exit code when a rule fails (0: all pass; anything else: it could not run)


@dataclass(frozen=True, order=True)
class Finding:
    scanner: str
    template: str
    resource: str
    rule: str


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Reads templates with short-form intrinsics (none are written, but a user's edits may add them)."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def synthesize(project: Path, out: Path) -> list[Path]:
    """Every environment of `project` into out/<env>/; the templates written, sorted."""
    registry = yaml.safe_load((project / "services" / "registry.yaml").read_text())
    for env in sorted(registry["environments"]):
        command = [sys.executable, "-m", "template_gen", "synth", "--project-dir", str(project), "--env", env]
        subprocess.run([*command, "--out", str(out / env)], check=True, stdout=subprocess.DEVNULL)
    return sorted(out.glob("*/*.yaml"))


def run_checkov(checkov: str, templates: list[Path], root: Path) -> list[Finding]:
    files = [arg for t in templates for arg in ("-f", str(t))]
    command = [
        checkov,
        "--framework",
        "cloudformation",
        "-o",
        "json",
        "--quiet",
        "--compact",
        "--skip-download",
        *files,
    ]
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode not in (0, 1) or not proc.stdout.strip():
        raise SystemExit(f"checkov could not run (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    reports = json.loads(proc.stdout)
    findings = []
    for report in reports if isinstance(reports, list) else [reports]:
        if report.get("check_type") != "cloudformation":
            continue
        for check in report["results"]["failed_checks"]:
            where = Path(check["repo_file_path"].lstrip("/")) if "repo_file_path" in check else Path(check["file_path"])
            resource = check["resource"].rsplit(".", 1)[-1]
            findings.append(Finding("checkov", _relative(where, root), resource, check["check_id"]))
    return findings


def _relative(path: Path, root: Path) -> str:
    path = path if path.is_absolute() else Path("/") / path
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def run_cfn_lint(cfn_lint: str, templates: list[Path], root: Path) -> list[Finding]:
    """cfn-lint with the serverless rules (cfn-lint-serverless); it honours Metadata cfn-lint ignore_checks."""
    command = [cfn_lint, "--append-rules", "cfn_lint_serverless.rules", "--format", "json", "--", *map(str, templates)]
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode & 1 or not proc.stdout.strip():  # bit 1: cfn-lint itself failed
        raise SystemExit(f"cfn-lint could not run (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    findings = []
    for match in json.loads(proc.stdout):
        path = match["Location"].get("Path") or []
        resource = str(path[1]) if len(path) > 1 and path[0] == "Resources" else "(template)"
        findings.append(Finding("cfn-lint", _relative(Path(match["Filename"]), root), resource, match["Rule"]["Id"]))
    return findings


def run_guard(guard: str, rules: dict[str, Path], templates: list[Path], root: Path) -> list[Finding]:
    data = [arg for t in templates for arg in ("--data", str(t))]
    flags = ["--output-format", "json", "--show-summary", "none", "--structured"]
    # One cfn-guard per rule set, side by side (each is single-threaded).
    with tempfile.TemporaryDirectory(prefix="template-gen-guard-") as tmp:
        running = {}
        for label, rule_dir in rules.items():
            out = open(Path(tmp) / f"{label}.json", "w+")  # noqa: SIM115 (closed below)
            command = [guard, "validate", "--rules", str(rule_dir), *data, *flags]
            running[label] = (subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE, text=True), out)
        outputs = {}
        for label, (proc, out) in running.items():
            _, stderr = proc.communicate()
            out.seek(0)
            outputs[label] = out.read()
            out.close()
            if proc.returncode not in (0, GUARD_FAILED):
                raise SystemExit(f"cfn-guard could not run (exit {proc.returncode}):\n{stderr[-2000:]}")
    findings: list[Finding] = []
    for label, text in outputs.items():
        for result in json.loads(text):
            template = Path(result["name"])
            suppressed = _suppressed(template)
            for entry in result.get("not_compliant") or []:
                ((_, body),) = entry.items()
                rule = body["name"]
                for resource in sorted(set(_resources(body))) or ["(template)"]:
                    if rule not in suppressed.get(resource, ()):
                        findings.append(Finding(f"cfn-guard:{label}", _relative(template, root), resource, rule))
    return findings


@functools.cache
def _suppressed(template: Path) -> dict[str, tuple[str, ...]]:
    doc = yaml.load(template.read_text(), Loader=_Loader) or {}
    out = {}
    for lid, resource in (doc.get("Resources") or {}).items():
        rules = ((resource.get("Metadata") or {}).get("guard") or {}).get("SuppressedRules") or []
        out[lid] = tuple(rules)
    return out


def _resources(node: Any) -> Iterator[str]:
    """Logical IDs of the resources a guard result points at (every `path` under /Resources/<id>/...)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "path" and isinstance(value, str) and value.startswith("/Resources/"):
                yield value.split("/")[2]
            else:
                yield from _resources(value)
    elif isinstance(node, list):
        for value in node:
            yield from _resources(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkov", required=True)
    parser.add_argument("--guard", required=True)
    parser.add_argument("--cfn-lint", required=True, help="cfn-lint with cfn-lint-serverless installed")
    parser.add_argument("--rules", action="append", required=True, help="NAME=DIR: a cfn-guard rules folder")
    parser.add_argument("--platform", action="append", required=True, help="NAME=PROJECT_DIR")
    args = parser.parse_args(argv)
    left: list[Finding] = []
    with tempfile.TemporaryDirectory(prefix="template-gen-scan-") as tmp:
        for item in args.platform:
            name, _, project = item.partition("=")
            out = Path(tmp) / name
            started = time.perf_counter()
            templates = synthesize(Path(project).resolve(), out)
            synth_s = time.perf_counter() - started
            started = time.perf_counter()
            found = run_checkov(args.checkov, templates, Path(tmp))
            checkov_s = time.perf_counter() - started
            started = time.perf_counter()
            rules = {label: Path(folder) for label, _, folder in (r.partition("=") for r in args.rules)}
            found += run_guard(args.guard, rules, templates, Path(tmp))
            guard_s = time.perf_counter() - started
            started = time.perf_counter()
            found += run_cfn_lint(args.cfn_lint, templates, Path(tmp))
            lint_s = time.perf_counter() - started
            left += found
            print(
                f"{name}: {len(templates)} templates, {len(found)} unsuppressed findings "
                f"(synth {synth_s:.1f} s, checkov {checkov_s:.1f} s, cfn-guard {guard_s:.1f} s, "
                f"cfn-lint {lint_s:.1f} s)"
            )
    for finding in sorted(set(left)):
        print(f"  {finding.scanner:<32} {finding.template:<40} {finding.resource:<40} {finding.rule}")
    print(f"{len(set(left))} unsuppressed findings")
    clean = sum(
        1 for item in args.platform if not any(f.template.startswith(f"{item.partition('=')[0]}/") for f in left)
    )
    print(f"scan: {clean} passed, {len(args.platform) - clean} failed")  # platforms, in the usual closing form
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
