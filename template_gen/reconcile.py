"""`template-gen reconcile`: run an environment's consumer reconciler and print what it found.

The reconciler is a function of the deployed compute stage (`<platform>-<env>-reconciler`, from
onboarding's code root); this command invokes it synchronously with `{"fix": false|true}` and prints its
report, so the checks run with the function's own least-privilege role and never drift from the code that
runs on the hourly schedule. boto3 is imported only when the command runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from template_gen import naming, samconfig
from template_gen.errors import AwsError, UsageError
from template_gen.registry import loader
from template_gen.registry.validate import check_environment, validate

# The function may run for up to 5 minutes (stacks/consumer_upkeep.py); wait for it, never retry a fix.
READ_TIMEOUT_SECONDS = 330
LambdaFactory = Callable[[str, str | None], Any]  # (region, profile) -> a Lambda client


@dataclass(frozen=True)
class Target:
    environment: str
    function_name: str
    region: str
    profile: str | None


def target(project_dir: Path, env: str) -> Target:
    raw = loader.load(project_dir)
    if raw.registry.data is not None:
        check_environment(env, list(raw.registry.data.get("environments") or {}))
    valid = validate(raw, [env])
    model = valid.environments[env].model
    if not model.platform_functions.onboarding.enabled:
        raise UsageError(
            f"--env {env}: the consumer admin API is disabled there "
            f"(environments.{env}.platform_functions.onboarding.enabled: false), so there is no reconciler"
        )
    config = samconfig.read(project_dir)  # the Region and profile `sam deploy --config-env ENV` uses
    return Target(
        environment=env,
        function_name=naming.function_name(valid.registry.platform, env, "reconciler"),
        region=str(samconfig.setting(config, env, "region") or valid.registry.region_of(env)),
        profile=str(samconfig.setting(config, env, "profile") or "") or None,
    )


def lambda_client(region: str, profile: str | None) -> Any:
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(profile_name=profile) if profile else boto3.session.Session()
    config = Config(read_timeout=READ_TIMEOUT_SECONDS, retries={"max_attempts": 1})
    return session.client("lambda", region_name=region, config=config)


def invoke(target: Target, client: Any, fix: bool) -> dict[str, Any]:
    """The reconciler's report; AwsError when it cannot be invoked or fails."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        response = client.invoke(
            FunctionName=target.function_name,
            InvocationType="RequestResponse",
            Payload=json.dumps({"fix": fix}).encode(),
        )
    except ClientError as exc:
        error = exc.response.get("Error", {})
        hint = (
            " (is the environment deployed? `sam deploy --config-env ...`)"
            if error.get("Code") == "ResourceNotFoundException"
            else ""
        )
        raise AwsError(
            f"invoking {target.function_name} failed: {error.get('Code')}: {error.get('Message')}{hint}"
        ) from exc
    except BotoCoreError as exc:
        raise AwsError(f"invoking {target.function_name} failed: {exc}") from exc
    payload = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError") or not isinstance(payload, dict):
        detail = (
            payload if not isinstance(payload, dict) else f"{payload.get('errorType')}: {payload.get('errorMessage')}"
        )
        raise AwsError(f"{target.function_name} failed: {detail}; see its log group for the trace")
    return payload


def render(target: Target, report: dict[str, Any]) -> list[str]:
    findings = report.get("findings") or []
    lines = [
        f"{target.function_name}: {report.get('consumers', 0)} consumers, {report.get('api_keys', 0)} consumer API keys"
        + (
            f", {report['in_flight']} keys in flight (younger than 15 minutes, skipped)"
            if report.get("in_flight")
            else ""
        )
    ]
    for finding in findings:
        state = (
            "fixed" if finding.get("fixed") else ("fix failed: " + finding["error"] if finding.get("error") else "left")
        )
        lines.append(f"  {finding['kind']:<18} {finding.get('consumer_id') or '-':<34} {finding['detail']} [{state}]")
    if not findings:
        lines.append("  no findings: every API key belongs to a consumer and every active consumer has a working key")
    return lines
