"""The admin API's audit trail: who did what, when, to which consumer, and how it ended.

Each admin action (create, show, rotate, revoke, and every refused or unrouted request) leaves one
structured log line (`"message": "audit"`) and one `audit#...` item in the consumers table. The
caller is the IAM principal API Gateway authenticated (`requestContext.identity.userArn`); an event
without one is refused before any route runs (defence in depth behind the API's AWS_IAM methods).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from consumer_store import AUDIT_PREFIX
from outcomes import error_code

# An IAM user or role session, as API Gateway reports an authenticated SigV4 caller.
_CALLER_ARN = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::\d{12}:[A-Za-z0-9+=,.@_/:-]{1,512}$")

logger = Logger(child=True)


def caller_arn(event: Any) -> str | None:
    """The IAM caller of an API Gateway REST proxy event, or None when there is none."""
    if not isinstance(event, dict):
        return None
    context = event.get("requestContext")
    identity = context.get("identity") if isinstance(context, dict) else None
    arn = identity.get("userArn") if isinstance(identity, dict) else None
    return arn if isinstance(arn, str) and _CALLER_ARN.match(arn) else None


def outcome_of(status: int, error: str | None) -> str:
    if status < 400:
        return "done"
    if error == "outcome_unknown":
        return "unknown"
    return "rejected" if status < 500 else "failed"


@dataclass
class AuditRecord:
    action: str  # create | show | rotate | revoke | refused | unrouted
    caller: str | None
    request_id: str
    at: float
    status: int = 0
    consumer_id: str | None = None
    error: str | None = None  # the error code of a 4xx/5xx answer

    def fields(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "caller": self.caller,
            "consumer_id": self.consumer_id,
            "status": self.status,
            "outcome": outcome_of(self.status, self.error),
            "error": self.error,
            "at": datetime.fromtimestamp(self.at, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "request_id": self.request_id,
        }

    def item(self) -> dict[str, Any]:
        fields = self.fields()
        item = {"pk": f"{AUDIT_PREFIX}{fields['at']}#{self.request_id}", "type": "audit", **fields}
        return {name: value for name, value in item.items() if value is not None}


class AuditTrail:
    def __init__(self, store: Any) -> None:
        self.store = store

    def record(self, record: AuditRecord) -> None:
        """Log line first (it cannot fail), then the table item (a failure is logged, never raised:
        the action has happened and its answer must not change)."""
        logger.info("audit", extra={"audit": record.fields()})
        if self.store is None:
            return
        try:
            self.store.put_audit(record.item())
        except Exception as exc:
            logger.error(
                "audit item not written (the log line above is the record)",
                extra={"request_id": record.request_id, "error": error_code(exc)},
            )
