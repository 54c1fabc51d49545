"""Request models for the admin API and the errors it answers with.

Every 4xx names the field at fault (`plan: unknown plan 'gold' ...`), so an operator can fix the
request without reading the code.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

MAX_BODY_BYTES = 4096
_DATETIME_HINT = "must be an ISO 8601 date-time with a timezone, e.g. 2030-01-31T00:00:00Z"
CONSUMER_ID_PATTERN = re.compile(r"^c-[0-9a-f]{32}$")


class ServiceError(Exception):
    """An error the admin API reports as-is: HTTP status, stable code, human message."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or []

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body


class BadRequest(ServiceError):
    status = 400
    code = "bad_request"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class UpstreamFailure(ServiceError):
    """An AWS call failed; whatever was half-done has been undone (or is logged as not undone)."""

    status = 502
    code = "upstream_failure"


class Unavailable(ServiceError):
    status = 503
    code = "service_unavailable"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class OutcomeUnknown(ServiceError):
    """A write was sent, its answer was lost, and reading the state back failed too: the caller must
    retry (the retry is safe: create is idempotent on client_token, rotate and revoke converge)."""

    status = 503
    code = "outcome_unknown"
    retry_after_seconds = 5

    def body(self) -> dict[str, Any]:
        return {**super().body(), "retry_after_seconds": self.retry_after_seconds}

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds)}


# ISO 8601 date-time with a time zone, as a string: numbers (epoch seconds) are refused, even quoted.
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})$")


def _iso_datetime_string(value: object) -> object:
    if value is None:
        return None
    if not isinstance(value, str) or not _ISO_DATETIME.match(value.strip()):
        raise ValueError(_DATETIME_HINT)
    return value


class CreateConsumerRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._\-]*$")
    plan: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")
    description: str | None = Field(default=None, max_length=512)
    contact: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    expires_at: AwareDatetime | None = None
    client_token: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")

    _iso_only = field_validator("expires_at", mode="before")(_iso_datetime_string)

    @field_validator("expires_at")
    @classmethod
    def _in_the_future(cls, value: datetime | None) -> datetime | None:
        return _future(value)


class RotateConsumerRequest(BaseModel):
    """No body, `{}`, or `{"expires_at": ...}`: a new expiry renews the consumer explicitly (the only
    way to rotate a consumer that has expired)."""

    model_config = ConfigDict(extra="forbid")

    expires_at: AwareDatetime | None = None

    _iso_only = field_validator("expires_at", mode="before")(_iso_datetime_string)

    @field_validator("expires_at")
    @classmethod
    def _in_the_future(cls, value: datetime | None) -> datetime | None:
        return _future(value)


def _future(value: datetime | None) -> datetime | None:
    if value is not None and value <= datetime.now(UTC):
        raise ValueError("must be in the future")
    return value


_FRIENDLY = {
    "missing": "field required",
    "extra_forbidden": "unknown field",
    "string_type": "must be a string",
    "string_pattern_mismatch": "contains characters that are not allowed",
    "timezone_aware": _DATETIME_HINT,
    "datetime_type": _DATETIME_HINT,
    "datetime_parsing": _DATETIME_HINT,
    "datetime_from_date_parsing": _DATETIME_HINT,
}


_PATTERN_HINTS = {
    "name": "must start with a letter or digit and contain only letters, digits, spaces, '.', '_' or '-'",
    "plan": "must contain only letters, digits, '.', '_' or '-'",
    "contact": "must be an email address",
    "client_token": "must contain only letters, digits, '_' or '-'",
}


def _describe(error: dict[str, Any]) -> tuple[str, str]:
    field = ".".join(str(part) for part in error.get("loc", ())) or "body"
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "string_too_long":
        return field, f"must be at most {ctx.get('max_length')} characters"
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return field, "must not be empty"
        return field, f"must be at least {ctx.get('min_length')} characters"
    if kind == "string_pattern_mismatch" and field in _PATTERN_HINTS:
        return field, _PATTERN_HINTS[field]
    if kind == "value_error":
        return field, str(ctx.get("error", error.get("msg", "is not valid")))
    return field, _FRIENDLY.get(kind, str(error.get("msg", "is not valid")))


def validation_error(exc: ValidationError) -> BadRequest:
    described = [_describe(error) for error in exc.errors(include_url=False)]
    message = "; ".join(f"{field}: {text}" for field, text in described)
    fields = list(dict.fromkeys(field for field, _ in described))
    return BadRequest(message, fields)


def decode_body(body: str | None, is_base64: bool) -> str | None:
    """The request body as text. API Gateway base64-encodes bodies of binary media types; a body
    that is not valid base64, or not UTF-8 once decoded, is the caller's error."""
    if body is None or not is_base64:
        return body
    if len(body) > MAX_BODY_BYTES * 2:  # base64 grows by a third: this is far beyond any valid body
        raise BadRequest(f"body: must be at most {MAX_BODY_BYTES} bytes", ["body"])
    try:
        return base64.b64decode(body, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise BadRequest("body: is not valid base64-encoded UTF-8", ["body"]) from None


def json_object(body: str | None, allow_empty: bool = False) -> dict[str, Any]:
    """Decode a request body into a JSON object, refusing oversized and non-object bodies."""
    if body is None or body.strip() == "":
        if allow_empty:
            return {}
        raise BadRequest("body: a JSON object is required", ["body"])
    if len(body.encode("utf-8")) > MAX_BODY_BYTES:
        raise BadRequest(f"body: must be at most {MAX_BODY_BYTES} bytes", ["body"])
    try:
        decoded = json.loads(body)
    except ValueError:
        raise BadRequest("body: is not valid JSON", ["body"]) from None
    except RecursionError:  # nesting deeper than the interpreter's recursion limit
        raise BadRequest("body: JSON is nested too deeply", ["body"]) from None
    if not isinstance(decoded, dict):
        raise BadRequest("body: must be a JSON object", ["body"])
    return decoded


def parse_create(body: str | None) -> CreateConsumerRequest:
    try:
        return parse(event=json_object(body), model=CreateConsumerRequest)
    except ValidationError as exc:
        raise validation_error(exc) from None


def parse_rotate(body: str | None) -> RotateConsumerRequest:
    try:
        return parse(event=json_object(body, allow_empty=True), model=RotateConsumerRequest)
    except ValidationError as exc:
        raise validation_error(exc) from None


def check_consumer_id(consumer_id: str) -> str:
    if not CONSUMER_ID_PATTERN.match(consumer_id):
        raise BadRequest("id: is not a consumer id (expected c- followed by 32 hex digits)", ["id"])
    return consumer_id
