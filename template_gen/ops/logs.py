"""`template-gen logs`: a service's CloudWatch log group (ECS or Lambda) or an API's access logs, from a
point in time, filtered with a CloudWatch Logs filter pattern, and followed as new events arrive."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from template_gen.errors import AwsError, UsageError
from template_gen.ops.resources import PLATFORM_FUNCTIONS, Environment

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
FOLLOW_DELAY = 2.0


def parse_since(value: str, now: datetime) -> datetime:
    """`30s`, `10m`, `2h`, `1d` before now, or an ISO 8601 time (UTC when it has no offset)."""
    match = _DURATION.match(value.strip())
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--since {value}: use a duration like 30s, 10m, 2h or 1d, or a time like 2026-01-05T09:30:00Z"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def log_group(env: Environment, name: str | None, api: str | None) -> str:
    """The log group of a service (or platform function), or of an API's access logs."""
    if api is not None:
        if name is not None:
            raise UsageError(f"--api {api} shows the API's access logs; leave out the service ({name})")
        return env.log_group("apigateway", api)
    if name is None:
        raise UsageError("name a service (or a platform function), or pass --api for the API access logs")
    if name in PLATFORM_FUNCTIONS:
        return env.log_group("lambda", name)
    entry = env.services(name)[0]
    return env.log_group("lambda" if entry.model.kind == "lambda" else "ecs", name)  # a worker logs as ECS


@dataclass(frozen=True)
class LogEvent:
    timestamp: datetime
    stream: str
    message: str

    def line(self) -> str:
        return f"{self.timestamp:%Y-%m-%d %H:%M:%S}  {self.stream}  {self.message.rstrip()}"


def events(
    logs: Any,
    group: str,
    since: datetime,
    pattern: str | None = None,
    follow: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    max_polls: int | None = None,
) -> Iterator[LogEvent]:
    """Every event from `since` on, oldest first; with `follow`, then new ones every few seconds until
    interrupted (`max_polls` bounds it for tests)."""
    start = int(since.timestamp() * 1000)
    seen: set[str] = set()
    polls = 0
    while True:
        newest = start
        for raw in _pages(logs, group, start, pattern):
            if raw["eventId"] in seen:
                continue
            seen.add(raw["eventId"])
            newest = max(newest, int(raw["timestamp"]))
            yield LogEvent(
                datetime.fromtimestamp(raw["timestamp"] / 1000, UTC), str(raw.get("logStreamName", "")), raw["message"]
            )
        polls += 1
        if not follow or (max_polls is not None and polls >= max_polls):
            return
        start = newest  # events of the same millisecond may still arrive; `seen` drops the repeats
        sleep(FOLLOW_DELAY)


def _pages(logs: Any, group: str, start: int, pattern: str | None) -> Iterator[dict[str, Any]]:
    request: dict[str, Any] = {"logGroupName": group, "startTime": start}
    if pattern:
        request["filterPattern"] = pattern
    while True:
        try:
            page = logs.filter_log_events(**request)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code == "ResourceNotFoundException":
                raise AwsError(
                    f"log group {group} does not exist; is the environment deployed with it (template-gen status)?"
                ) from exc
            if code == "InvalidParameterException" and pattern:
                raise UsageError(f"--filter {pattern}: CloudWatch Logs does not accept it as a filter pattern") from exc
            raise AwsError(f"could not read log group {group}: {exc}") from exc
        except BotoCoreError as exc:
            raise AwsError(f"could not read log group {group}: {exc}") from exc
        yield from page.get("events", [])
        token = page.get("nextToken")
        if not token:
            return
        request["nextToken"] = token
