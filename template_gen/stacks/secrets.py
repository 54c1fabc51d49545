"""Secrets from SSM Parameter Store and Secrets Manager: the ARNs to read them by and the statements
that grant exactly those reads (and the KMS decrypt they need), for containers and Lambdas alike."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from awacs import kms, secretsmanager, ssm
from awacs.aws import Statement
from troposphere import Sub

from template_gen.registry.models import SecretRef
from template_gen.stacks import iam

# A full Secrets Manager ARN ends with the 6 characters AWS appends to the secret's name.
_FULL_SECRET_ARN = re.compile(r"^arn:.*:secret:.+-[A-Za-z0-9]{6}$")


def parameter_arn(ref: SecretRef) -> Any:
    assert ref.ssm is not None
    if ref.ssm.startswith("arn:"):
        return ref.ssm
    return Sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/" + ref.ssm.lstrip("/"))


def secret_arn(ref: SecretRef) -> Any:
    """The secret's ARN as given, or a partial ARN built from its name (Secrets Manager resolves both)."""
    assert ref.secrets_manager is not None
    if ref.secrets_manager.startswith("arn:"):
        return ref.secrets_manager
    return Sub("arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:" + ref.secrets_manager)


def _secret_resource(ref: SecretRef) -> Any:
    """IAM resource for a secret: a partial ARN matches the real one only with the 6-character suffix."""
    assert ref.secrets_manager is not None
    if _FULL_SECRET_ARN.match(ref.secrets_manager):
        return ref.secrets_manager
    if ref.secrets_manager.startswith("arn:"):
        return ref.secrets_manager + "-??????"
    return Sub(
        "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:"
        + ref.secrets_manager
        + "-??????"
    )


def ecs_value_from(ref: SecretRef) -> Any:
    """`ValueFrom` of a task definition secret (with the JSON key when one is given)."""
    if ref.ssm is not None:
        return parameter_arn(ref)
    arn = secret_arn(ref)
    if ref.key is None:
        return arn
    if isinstance(arn, str):
        return f"{arn}:{ref.key}::"
    return Sub(arn.data["Fn::Sub"] + f":{ref.key}::")


def read_statements(refs: Sequence[SecretRef], sid_prefix: str = "Read") -> list[Statement]:
    """Exactly the reads these secrets need: their parameters, their secrets, their KMS keys."""
    parameters = [parameter_arn(r) for r in refs if r.ssm is not None]
    secrets = [_secret_resource(r) for r in refs if r.secrets_manager is not None]
    keys = sorted({r.kms_key_arn for r in refs if r.kms_key_arn})
    statements = []
    if parameters:
        statements.append(iam.allow([ssm.GetParameter, ssm.GetParameters], parameters, f"{sid_prefix}Parameters"))
    if secrets:
        statements.append(iam.allow([secretsmanager.GetSecretValue], secrets, f"{sid_prefix}Secrets"))
    if keys:
        statements.append(iam.allow([kms.Decrypt], keys, f"{sid_prefix}SecretKeys"))
    return statements


def lambda_variables(name: str, ref: SecretRef) -> dict[str, Any]:
    """A Lambda has no secret injection: it gets where to read the value (with Powertools `parameters`)."""
    if ref.ssm is not None:
        return {f"{name}_SSM_PARAMETER": ref.ssm}
    variables: dict[str, Any] = {f"{name}_SECRET_ID": secret_arn(ref)}
    if ref.key is not None:
        variables[f"{name}_SECRET_KEY"] = ref.key
    return variables
