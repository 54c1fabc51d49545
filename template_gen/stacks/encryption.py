"""The environment's customer-managed KMS key (`security.kms_key_arn`) on what the platform creates: the
DynamoDB tables, the ECR repositories, the SQS queues and the Lambda functions' environment variables,
and the KMS permissions each role needs to use them (docs/security.md lists the key policy the key itself
needs: the platform cannot edit a key it does not own).

Without the key, tables use DynamoDB's key, queues SQS-managed keys, repositories AES-256 and functions
Lambda's service key, as before."""

from __future__ import annotations

from typing import Any

from awacs import kms
from awacs.aws import Condition, Statement, StringEquals
from troposphere import Sub, dynamodb, ecr

from template_gen.spec import EnvironmentSpec
from template_gen.stacks import iam

# How long SQS reuses a data key before asking KMS again: AWS's default. Each producer and consumer calls
# KMS about once per period, which stays far below KMS's request quotas.
DATA_KEY_REUSE_SECONDS = 300

_TABLE_ACTIONS = (kms.Decrypt, kms.Encrypt, kms.Action("GenerateDataKey*"))


def key_of(env: EnvironmentSpec) -> str | None:
    return env.security.kms_key_arn


def _via(service: str) -> Condition:
    """Only when the service (DynamoDB, SQS) calls KMS for the role, never the role directly."""
    return Condition(StringEquals("kms:ViaService", Sub(f"{service}.${{AWS::Region}}.amazonaws.com")))


def _allow(key: str, actions: Any, sid: str, via: str | None = None) -> Statement:
    statement = iam.allow(list(actions), [key], sid)
    if via is not None:
        statement.Condition = _via(via)
    return statement


# ------------------------------------------------------------------ DynamoDB
def table_sse(env: EnvironmentSpec) -> dynamodb.SSESpecification:
    """Changing it is an update without interruption: the table stays available while DynamoDB switches keys."""
    key = key_of(env)
    if key is None:
        return dynamodb.SSESpecification(SSEEnabled=True)
    return dynamodb.SSESpecification(SSEEnabled=True, SSEType="KMS", KMSMasterKeyId=key)


def table_statements(env: EnvironmentSpec, sid: str) -> list[Statement]:
    """What a role that reads and writes an encrypted table needs of the key, through DynamoDB."""
    key = key_of(env)
    return [_allow(key, _TABLE_ACTIONS, sid, "dynamodb")] if key else []


# ------------------------------------------------------------------ SQS
def queue_properties(env: EnvironmentSpec) -> dict[str, Any]:
    """A queue's encryption; changing it is an update without interruption (messages already in the queue
    keep the encryption they were sent with)."""
    key = key_of(env)
    if key is None:
        return {"SqsManagedSseEnabled": True}
    return {"KmsMasterKeyId": key, "KmsDataKeyReusePeriodSeconds": DATA_KEY_REUSE_SECONDS}


def queue_consume_statements(env: EnvironmentSpec, sid: str) -> list[Statement]:
    """Receiving from an encrypted queue decrypts its data key."""
    key = key_of(env)
    return [_allow(key, [kms.Decrypt], sid, "sqs")] if key else []


def queue_send_statements(env: EnvironmentSpec, sid: str) -> list[Statement]:
    """Sending to an encrypted queue makes (GenerateDataKey) and reuses (Decrypt) a data key."""
    key = key_of(env)
    return [_allow(key, [kms.Action("GenerateDataKey*"), kms.Decrypt], sid, "sqs")] if key else []


# ------------------------------------------------------------------ Lambda
def function_properties(env: EnvironmentSpec) -> dict[str, Any]:
    key = key_of(env)
    return {"KmsKeyArn": key} if key else {}


def function_statements(env: EnvironmentSpec) -> list[Statement]:
    """Lambda decrypts a function's environment variables with its execution role when an execution
    environment starts; without kms:Decrypt every invocation fails with KMSAccessDeniedException."""
    key = key_of(env)
    return [_allow(key, [kms.Decrypt], "DecryptEnvironment")] if key else []


# ------------------------------------------------------------------ ECR
def repository_encryption(key: str | None) -> ecr.EncryptionConfiguration:
    """`key`: the key the repository was created with (`deploy_state`): EncryptionConfiguration is
    create-only, and a named repository cannot be replaced (the new one's name is taken)."""
    if key is None:
        return ecr.EncryptionConfiguration(EncryptionType="AES256")
    return ecr.EncryptionConfiguration(EncryptionType="KMS", KmsKey=key)


def image_pull_statements(key: str | None) -> list[Statement]:
    """The task execution role decrypts the image layers of a KMS-encrypted repository it pulls from."""
    return [_allow(key, [kms.Decrypt], "DecryptOwnImages")] if key else []
