"""The consumers table: item layout and the transactions that keep it consistent.

One table, partition key `pk`, three kinds of items:

    consumer#<id>                     the consumer's metadata and the hash of its current key
    key#<sha256(key)>                 what the API key validator reads with one GetItem
    audit#<time>#<request id>         one admin action: who, what, when, which consumer, outcome

The first two are written in one TransactWriteItems, so a consumer never exists without its key
item (or the reverse). Onboarding uses only GetItem, PutItem (audit) and transactional
Put/Update/Delete/ConditionCheck: its role has no Query or Scan (the reconciler's has Scan).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

CONSUMER_PREFIX = "consumer#"
KEY_PREFIX = "key#"
AUDIT_PREFIX = "audit#"
ACTIVE = "active"
REVOKED = "revoked"

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(int(epoch), UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Consumer:
    consumer_id: str
    name: str
    plan: str
    usage_plan_id: str
    status: str
    key_hash: str
    api_key_id: str
    created_at: float
    description: str | None = None
    contact: str | None = None
    expires_at: float | None = None
    rotated_at: float | None = None
    revoked_at: float | None = None
    # The key the last rotation replaced: removed again by the next rotation, in case the rotation
    # that replaced it never got to (its answer was lost).
    previous_api_key_id: str | None = None

    def to_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "pk": CONSUMER_PREFIX + self.consumer_id,
            "type": "consumer",
            "consumer_id": self.consumer_id,
            "name": self.name,
            "plan": self.plan,
            "usage_plan_id": self.usage_plan_id,
            "status": self.status,
            "key_hash": self.key_hash,
            "api_key_id": self.api_key_id,
            "created_at": _number(self.created_at),
        }
        optional = {
            "description": self.description,
            "contact": self.contact,
            "expires_at": _number(self.expires_at),
            "rotated_at": _number(self.rotated_at),
            "revoked_at": _number(self.revoked_at),
            "previous_api_key_id": self.previous_api_key_id,
        }
        item.update({name: value for name, value in optional.items() if value is not None})
        return item

    def key_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "pk": KEY_PREFIX + self.key_hash,
            "type": "key",
            "key_hash": self.key_hash,
            "consumer_id": self.consumer_id,
            "plan": self.plan,
            "status": ACTIVE,
            "api_key_id": self.api_key_id,
            "created_at": _number(self.rotated_at or self.created_at),
        }
        if self.expires_at is not None:
            item["expires_at"] = _number(self.expires_at)
        return item

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Consumer:
        def num(name: str) -> float | None:
            value = item.get(name)
            return float(value) if value is not None else None

        return cls(
            consumer_id=item["consumer_id"],
            name=item["name"],
            plan=item["plan"],
            usage_plan_id=item["usage_plan_id"],
            status=item["status"],
            key_hash=item["key_hash"],
            api_key_id=item["api_key_id"],
            created_at=float(item["created_at"]),
            description=item.get("description"),
            contact=item.get("contact"),
            expires_at=num("expires_at"),
            rotated_at=num("rotated_at"),
            revoked_at=num("revoked_at"),
            previous_api_key_id=item.get("previous_api_key_id"),
        )

    def public(self) -> dict[str, Any]:
        """What the admin API shows: never the key, only the API Gateway key id and a fingerprint."""
        return {
            "id": self.consumer_id,
            "name": self.name,
            "plan": self.plan,
            "status": self.status,
            "description": self.description,
            "contact": self.contact,
            "expires_at": iso(self.expires_at),
            "created_at": iso(self.created_at),
            "rotated_at": iso(self.rotated_at),
            "revoked_at": iso(self.revoked_at),
            "api_key_id": self.api_key_id,
            "key_fingerprint": self.key_hash[:12],
        }


def _number(value: float | None) -> Decimal | None:
    # Whole seconds: DynamoDB numbers are decimals and timestamps need no sub-second precision here.
    return None if value is None else Decimal(int(value))


def _wire(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in item.items()}


def from_wire(item: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item (`{"S": ...}` values) as plain Python values."""
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def _key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}}


class ConsumerStore:
    def __init__(self, table_name: str, client: Any) -> None:
        self.table_name = table_name
        self.client = client

    def get(self, consumer_id: str) -> Consumer | None:
        response = self.client.get_item(
            TableName=self.table_name, Key=_key(CONSUMER_PREFIX + consumer_id), ConsistentRead=True
        )
        item = response.get("Item")
        if item is None:
            return None
        return Consumer.from_item(from_wire(item))

    def insert(self, consumer: Consumer) -> None:
        """Consumer and key item together, neither overwriting anything."""
        self.client.transact_write_items(
            TransactItems=[
                {"Put": self._put_new(consumer.to_item())},
                {"Put": self._put_new(consumer.key_item())},
            ]
        )

    def _put_new(self, item: dict[str, Any]) -> dict[str, Any]:
        return {
            "TableName": self.table_name,
            "Item": _wire(item),
            "ConditionExpression": "attribute_not_exists(pk)",
        }

    def replace_key(self, old: Consumer, new: Consumer) -> None:
        """Swap the consumer's key: new key item in, old key item out, consumer updated, only if
        nobody rotated or revoked it in between."""
        self.client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": _wire(new.to_item()),
                        "ConditionExpression": "#status = :active AND key_hash = :old_hash",
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": {
                            ":active": {"S": ACTIVE},
                            ":old_hash": {"S": old.key_hash},
                        },
                    }
                },
                {"Put": self._put_new(new.key_item())},
                {"Delete": {"TableName": self.table_name, "Key": _key(KEY_PREFIX + old.key_hash)}},
            ]
        )

    def mark_revoked(self, consumer: Consumer, revoked_at: float) -> None:
        """Revoke: the key item disappears (the validator denies it) and the consumer stays, revoked."""
        self.client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": self.table_name,
                        "Key": _key(CONSUMER_PREFIX + consumer.consumer_id),
                        "UpdateExpression": "SET #status = :revoked, revoked_at = :at",
                        "ConditionExpression": "#status = :active AND key_hash = :hash",
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": {
                            ":revoked": {"S": REVOKED},
                            ":active": {"S": ACTIVE},
                            ":hash": {"S": consumer.key_hash},
                            ":at": {"N": str(int(revoked_at))},
                        },
                    }
                },
                {"Delete": {"TableName": self.table_name, "Key": _key(KEY_PREFIX + consumer.key_hash)}},
            ]
        )

    # -- audit items ---------------------------------------------------------------------------------

    def put_audit(self, item: dict[str, Any]) -> None:
        """An audit item (`pk` = `audit#...`); never overwrites anything."""
        self.client.put_item(
            TableName=self.table_name, Item=_wire(item), ConditionExpression="attribute_not_exists(pk)"
        )
