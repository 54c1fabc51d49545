"""Parse and validate the `methodArn` of a REST API authorizer event.

The Allow policy is derived from this ARN, so anything that is not exactly what API Gateway sends
(wildcards, missing parts, odd characters) is rejected: a loose parser could turn a forged ARN into
an Allow on more than one API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_METHOD_ARN = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):execute-api:"
    r"(?P<region>[a-z]{2}(?:-[a-z]+)+-\d):"
    r"(?P<account>\d{12}):"
    r"(?P<api_id>[a-z0-9]{1,32})/"
    r"(?P<stage>[A-Za-z0-9_\-]{1,128})/"
    r"(?P<method>[A-Z]{3,7}|\*)/"
    r"(?P<path>[^\s*]*)$"
)


@dataclass(frozen=True)
class MethodArn:
    partition: str
    region: str
    account: str
    api_id: str
    stage: str
    method: str
    path: str


def parse_method_arn(value: object) -> MethodArn | None:
    """Return the parsed ARN, or None when it is not a well-formed execute-api method ARN."""
    if not isinstance(value, str) or len(value) > 2048:
        return None
    match = _METHOD_ARN.match(value)
    if match is None:
        return None
    return MethodArn(**match.groupdict())
