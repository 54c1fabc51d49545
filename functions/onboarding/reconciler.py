"""The reconciler: finds what a half-finished admin request (or a hand edit) left behind, reports it,
and with `fix` removes it. Deployed as its own function from this code root (handler
`reconciler.lambda_handler`), because it must read the same item layout as onboarding.

Findings (`kind`, and what `fix` does):

- `orphan_key`: an API key named like a consumer that no consumer refers to (a create or rotate whose
  outcome was unknown, an old key whose removal failed) -> unlinked and deleted. Keys younger than
  GRACE_SECONDS are skipped: a request in flight holds a key before the table refers to it.
- `missing_key`: an active consumer whose API key is gone -> revoked (its key item deleted).
- `missing_key_item`: an active consumer without its `key#` item -> revoked.
- `dangling_key_item`: a `key#` item no consumer holds (the validator would allow it) -> deleted.
- `revoked_key_live`: a revoked consumer whose API key is still linked or enabled -> unlinked, disabled.
- `unlinked_key`, `disabled_key`: an active consumer whose key is not in its usage plan, or disabled.
  Reported only: that is what an operator does by hand to stop a consumer in an emergency.

Event: `{"fix": true|false}` (a direct invoke, e.g. `template-gen reconcile`); a scheduled event
reports only. The answer is the report.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import boto3
from api_keys import ApiKeys
from audit import AuditRecord, AuditTrail
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from consumer_store import ACTIVE, CONSUMER_PREFIX, KEY_PREFIX, REVOKED, Consumer, ConsumerStore, from_wire
from outcomes import error_code

GRACE_SECONDS = 900  # far beyond a request's life (API Gateway gives up after 29 s)
CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"})
CONSUMER_ID = re.compile(r"^c-[0-9a-f]{32}$")
FIXED_KINDS = frozenset({"orphan_key", "missing_key", "missing_key_item", "dangling_key_item", "revoked_key_live"})

logger = Logger()
metrics = Metrics(namespace=os.getenv("POWERTOOLS_METRICS_NAMESPACE") or "Platform")


@dataclass
class Finding:
    kind: str
    consumer_id: str | None
    api_key_id: str | None
    detail: str
    fixed: bool = False
    error: str | None = None  # why a fix failed


@dataclass
class Report:
    fix: bool
    consumers: int = 0
    api_keys: int = 0
    in_flight: int = 0  # keys skipped because they are younger than the grace period
    findings: list[Finding] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["left"] = sum(1 for finding in self.findings if not finding.fixed)
        return body


class Reconciler:
    def __init__(self, table: str, dynamodb: Any, apigateway: Any, clock: Any = time.time) -> None:
        self.store = ConsumerStore(table, dynamodb)
        self.dynamodb = dynamodb
        self.table = table
        self.apigateway = apigateway
        self.api_keys = ApiKeys(apigateway)
        self.clock = clock

    # -- reading ---------------------------------------------------------------------------------

    def _items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"TableName": self.table, "ConsistentRead": True}
        while True:
            page = self.dynamodb.scan(**kwargs)
            items += [from_wire(item) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _keys(self) -> dict[str, dict[str, Any]]:
        """API keys named like a consumer (the only ones onboarding makes), by id."""
        keys: dict[str, dict[str, Any]] = {}
        kwargs: dict[str, Any] = {"limit": 500}
        while True:
            page = self.apigateway.get_api_keys(**kwargs)
            keys.update({k["id"]: k for k in page.get("items", []) if CONSUMER_ID.match(k.get("name") or "")})
            if not page.get("position"):
                return keys
            kwargs["position"] = page["position"]

    def _links(self, usage_plan_ids: set[str]) -> dict[str, set[str]]:
        """Usage plan id -> ids of its keys."""
        links: dict[str, set[str]] = {}
        for plan_id in sorted(usage_plan_ids):
            links[plan_id] = set()
            kwargs: dict[str, Any] = {"usagePlanId": plan_id, "limit": 500}
            while True:
                try:
                    page = self.apigateway.get_usage_plan_keys(**kwargs)
                except Exception as exc:
                    if error_code(exc) != "NotFoundException":
                        raise
                    break  # a deleted plan links nothing
                links[plan_id] |= {k["id"] for k in page.get("items", [])}
                if not page.get("position"):
                    break
                kwargs["position"] = page["position"]
        return links

    # -- deciding --------------------------------------------------------------------------------

    def findings(self, usage_plan_ids: set[str], report: Report) -> list[tuple[Finding, Any]]:
        """Every finding with the fix to apply (None: report only)."""
        items = self._items()
        consumers = {i["consumer_id"]: Consumer.from_item(i) for i in items if i["pk"].startswith(CONSUMER_PREFIX)}
        key_items = {i["key_hash"]: i for i in items if i["pk"].startswith(KEY_PREFIX)}
        keys = self._keys()
        plan_ids = usage_plan_ids | {c.usage_plan_id for c in consumers.values()}
        links = self._links(plan_ids)
        report.consumers, report.api_keys = len(consumers), len(keys)
        found: list[tuple[Finding, Any]] = []
        referenced = {c.api_key_id for c in consumers.values()}

        for key_id, key in sorted(keys.items()):
            if key_id in referenced:
                continue
            created = key.get("createdDate")
            age = self.clock() - created.timestamp() if created is not None else GRACE_SECONDS
            if age < GRACE_SECONDS:
                report.in_flight += 1
                continue
            in_plans = sorted(plan for plan, ids in links.items() if key_id in ids)
            detail = f"API key {key_id} ({key['name']}) belongs to no consumer"
            found.append(
                (Finding("orphan_key", key["name"], key_id, detail), lambda k=key_id, p=in_plans: self._delete(k, p))
            )

        for consumer in sorted(consumers.values(), key=lambda c: c.consumer_id):
            cid, key_id = consumer.consumer_id, consumer.api_key_id
            key = keys.get(key_id)
            linked = key_id in links.get(consumer.usage_plan_id, set())
            if consumer.status == ACTIVE:
                revoke = lambda c=consumer: self._revoke(c)  # noqa: E731
                if key is None:
                    found.append(
                        (Finding("missing_key", cid, key_id, f"active consumer's API key {key_id} is gone"), revoke)
                    )
                elif consumer.key_hash not in key_items:
                    found.append((Finding("missing_key_item", cid, key_id, "active consumer has no key item"), revoke))
                else:
                    if not linked:
                        detail = f"API key {key_id} is not in usage plan {consumer.usage_plan_id}"
                        found.append((Finding("unlinked_key", cid, key_id, detail), None))
                    if not key.get("enabled", False):
                        found.append((Finding("disabled_key", cid, key_id, f"API key {key_id} is disabled"), None))
            elif consumer.status == REVOKED and key is not None and (linked or key.get("enabled", False)):
                detail = f"revoked consumer's API key {key_id} is still {'linked' if linked else 'enabled'}"
                found.append((Finding("revoked_key_live", cid, key_id, detail), lambda c=consumer: self._retire(c)))

        for key_hash, item in sorted(key_items.items()):
            owner = consumers.get(item.get("consumer_id", ""))
            if owner is None or owner.status != ACTIVE or owner.key_hash != key_hash:
                detail = f"key item {key_hash[:12]} is held by no active consumer"
                finding = Finding("dangling_key_item", item.get("consumer_id"), item.get("api_key_id"), detail)
                found.append((finding, lambda h=key_hash: self._delete_key_item(h)))
        return found

    # -- fixing ----------------------------------------------------------------------------------

    def _delete(self, api_key_id: str, plan_ids: list[str]) -> None:
        for plan_id in plan_ids:
            self.api_keys.unlink(api_key_id, plan_id)
        self.api_keys.delete(api_key_id)

    def _revoke(self, consumer: Consumer) -> None:
        self.store.mark_revoked(consumer, int(self.clock()))

    def _retire(self, consumer: Consumer) -> None:
        self.api_keys.unlink(consumer.api_key_id, consumer.usage_plan_id)
        self.api_keys.disable(consumer.api_key_id)

    def _delete_key_item(self, key_hash: str) -> None:
        self.dynamodb.delete_item(TableName=self.table, Key={"pk": {"S": KEY_PREFIX + key_hash}})

    def run(self, fix: bool, usage_plan_ids: set[str], audit: AuditTrail | None = None, run_id: str = "") -> Report:
        report = Report(fix=fix)
        for index, (finding, repair) in enumerate(self.findings(usage_plan_ids, report)):
            report.findings.append(finding)
            if not fix or repair is None:
                continue
            try:
                repair()
                finding.fixed = True
            except Exception as exc:
                finding.error = error_code(exc)
            if audit is not None:
                record = AuditRecord(f"reconcile:{finding.kind}", "reconciler", f"{run_id}#{index}", self.clock())
                record.consumer_id, record.status = finding.consumer_id, 200 if finding.fixed else 500
                record.error = None if finding.fixed else finding.error
                audit.record(record)
        return report


def _usage_plan_ids() -> set[str]:
    from aws_lambda_powertools.utilities import parameters

    name = os.getenv("USAGE_PLANS_PARAMETER")
    value = parameters.get_parameter(name, transform="json") if name else {}
    return {str(plan_id) for plan_id in (value or {}).values()} if isinstance(value, dict) else set()


@logger.inject_lambda_context(log_event=False, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    fix = isinstance(event, dict) and event.get("fix") is True
    reconciler = Reconciler(
        os.environ["CONSUMERS_TABLE_NAME"],
        boto3.client("dynamodb", config=CLIENT_CONFIG),
        boto3.client("apigateway", config=CLIENT_CONFIG),
    )
    report = reconciler.run(fix, _usage_plan_ids(), AuditTrail(reconciler.store), context.aws_request_id)
    body = report.as_dict()
    metrics.add_metric(name="ReconcileFindings", unit=MetricUnit.Count, value=len(report.findings))
    metrics.add_metric(name="ReconcileLeft", unit=MetricUnit.Count, value=body["left"])
    log = logger.warning if report.findings else logger.info
    log("reconciled", extra={"report": body})
    return body
