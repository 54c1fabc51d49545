"""Network stage, observability part: VPC flow logs and the ALB access log bucket."""

from __future__ import annotations

from typing import TYPE_CHECKING

from awacs import logs as logs_actions
from awacs import s3 as s3_actions
from awacs import sts
from awacs.aws import Allow, ArnLike, Bool, Condition, Deny, Policy, Principal, Statement, StringEquals
from troposphere import AccountId, GetAtt, Ref, Sub, ec2, iam, logs, s3

from template_gen import aws_data, naming

if TYPE_CHECKING:
    from template_gen.stacks.network import NetworkStage


def flow_logs(stage: NetworkStage) -> None:
    b, env = stage.b, stage.env
    b.output("VpcCidr", Ref(stage.vpc_cidr), "CIDR block of the VPC")
    if not stage.net.flow_logs:
        return
    group = b.add(
        logs.LogGroup(
            "FlowLogGroup",
            LogGroupName=naming.log_group_name(env.platform, env.name, "vpc", "flow-logs"),
            RetentionInDays=Ref(stage.log_retention),
            **({"KmsKeyId": env.logs_kms_key_arn} if env.logs_kms_key_arn else {}),
        )
    )
    role = b.add(
        iam.Role(
            "FlowLogRole",
            AssumeRolePolicyDocument=Policy(
                Version="2012-10-17",
                Statement=[
                    Statement(
                        Effect=Allow,
                        Principal=Principal("Service", "vpc-flow-logs.amazonaws.com"),
                        Action=[sts.AssumeRole],
                        Condition=Condition(
                            [
                                StringEquals("aws:SourceAccount", AccountId),
                                ArnLike(
                                    "aws:SourceArn",
                                    Sub("arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:vpc-flow-log/*"),
                                ),
                            ]
                        ),
                    )
                ],
            ),
            Policies=[
                iam.Policy(
                    PolicyName="deliver-flow-logs",
                    PolicyDocument=Policy(
                        Version="2012-10-17",
                        Statement=[
                            Statement(
                                Effect=Allow,
                                Action=[
                                    logs_actions.CreateLogStream,
                                    logs_actions.PutLogEvents,
                                    logs_actions.DescribeLogStreams,
                                ],
                                Resource=[GetAtt(group, "Arn")],
                            ),
                            Statement(
                                Effect=Allow,
                                Action=[logs_actions.DescribeLogGroups],
                                Resource=[
                                    Sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*")
                                ],
                            ),
                        ],
                    ),
                )
            ],
        )
    )
    b.add(
        ec2.FlowLog(
            "VpcFlowLog",
            ResourceId=stage.vpc_id,
            ResourceType="VPC",
            TrafficType=stage.net.flow_logs_traffic,
            LogDestinationType="cloud-watch-logs",
            LogGroupName=Ref(group),
            DeliverLogsPermissionArn=GetAtt(role, "Arn"),
            MaxAggregationInterval=60,
        )
    )
    b.output("FlowLogGroupName", Ref(group), "CloudWatch log group of the VPC flow logs")


def access_log_bucket(stage: NetworkStage) -> None:
    b, env = stage.b, stage.env
    if not stage.net.alb_access_logs:
        return
    bucket = b.add(
        s3.Bucket(
            "AccessLogBucket",
            BucketEncryption=s3.BucketEncryption(
                ServerSideEncryptionConfiguration=[
                    s3.ServerSideEncryptionRule(
                        ServerSideEncryptionByDefault=s3.ServerSideEncryptionByDefault(SSEAlgorithm="AES256")
                    )
                ]
            ),
            PublicAccessBlockConfiguration=s3.PublicAccessBlockConfiguration(
                BlockPublicAcls=True,
                BlockPublicPolicy=True,
                IgnorePublicAcls=True,
                RestrictPublicBuckets=True,
            ),
            OwnershipControls=s3.OwnershipControls(
                Rules=[s3.OwnershipControlsRule(ObjectOwnership="BucketOwnerEnforced")]
            ),
            LifecycleConfiguration=s3.LifecycleConfiguration(
                Rules=[
                    s3.LifecycleRule(
                        Id="expire-access-logs",
                        Status="Enabled",
                        ExpirationInDays=Ref(stage.access_log_days),
                        AbortIncompleteMultipartUpload=s3.AbortIncompleteMultipartUpload(DaysAfterInitiation=7),
                    )
                ]
            ),
            # Logs outlive the stack; CloudFormation could not delete a non-empty bucket anyway.
            DeletionPolicy="Retain",
            UpdateReplacePolicy="Retain",
        )
    )
    account = aws_data.ELB_LOG_DELIVERY_ACCOUNTS.get(env.region)
    principal = (
        Principal("AWS", f"arn:aws:iam::{account}:root")
        if account
        else Principal("Service", aws_data.ELB_LOG_DELIVERY_SERVICE)
    )
    policy = b.add(
        s3.BucketPolicy(
            "AccessLogBucketPolicy",
            Bucket=Ref(bucket),
            PolicyDocument=Policy(
                Version="2012-10-17",
                Statement=[
                    Statement(
                        Sid="AllowElbLogDelivery",
                        Effect=Allow,
                        Principal=principal,
                        Action=[s3_actions.PutObject],
                        Resource=[Sub("${AccessLogBucket.Arn}/alb/AWSLogs/${AWS::AccountId}/*")],
                    ),
                    Statement(
                        Sid="DenyInsecureTransport",
                        Effect=Deny,
                        Principal=Principal("*"),
                        Action=[s3_actions.Action("*")],
                        Resource=[GetAtt(bucket, "Arn"), Sub("${AccessLogBucket.Arn}/*")],
                        Condition=Condition(Bool("aws:SecureTransport", False)),
                    ),
                ],
            ),
        )
    )
    stage.bucket, stage.bucket_policy = bucket, policy
    b.output("AccessLogBucketName", Ref(bucket), "S3 bucket with the ALB access logs")
