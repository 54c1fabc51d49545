"""The public stage's AWS WAF web ACL: an existing one named by `security.waf_web_acl_arn`, or with
`security.baseline_web_acl` one the platform creates: AWS managed rule groups (the common rule set, known
bad inputs, the Amazon IP reputation list) and a rate-based rule per client IP."""

from __future__ import annotations

from typing import Any

from troposphere import GetAtt, Ref, Sub, apigateway, wafv2

from template_gen import naming
from template_gen.spec import EnvironmentSpec
from template_gen.stacks.common import StackBuilder

MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)
RATE_RULE = "RequestsPerClientIp"


def _visibility(metric: str) -> wafv2.VisibilityConfig:
    return wafv2.VisibilityConfig(CloudWatchMetricsEnabled=True, MetricName=metric, SampledRequestsEnabled=True)


def baseline(b: StackBuilder, env: EnvironmentSpec) -> wafv2.WebACL:
    name = naming.function_name(env.platform, env.name, "public-api")
    rules = [
        wafv2.WebACLRule(
            Name=group,
            Priority=priority,
            OverrideAction=wafv2.OverrideAction(**{"None": {}}),  # the group's own actions (block)
            Statement=wafv2.Statement(
                ManagedRuleGroupStatement=wafv2.ManagedRuleGroupStatement(VendorName="AWS", Name=group)
            ),
            VisibilityConfig=_visibility(group),
        )
        for priority, group in enumerate(MANAGED_RULE_GROUPS)
    ]
    rules.append(
        wafv2.WebACLRule(
            Name=RATE_RULE,
            Priority=len(MANAGED_RULE_GROUPS),
            Action=wafv2.RuleAction(Block=wafv2.BlockAction()),
            Statement=wafv2.Statement(
                RateBasedStatement=wafv2.RateBasedStatement(
                    Limit=env.security.baseline_rate_limit, AggregateKeyType="IP"
                )
            ),
            VisibilityConfig=_visibility(RATE_RULE),
        )
    )
    acl = b.add(
        wafv2.WebACL(
            "PublicApiWebAcl",
            Name=name,
            Scope="REGIONAL",
            Description=f"{name}: baseline protection of the public API",
            DefaultAction=wafv2.DefaultAction(Allow=wafv2.AllowAction()),
            Rules=rules,
            VisibilityConfig=_visibility(name),
        )
    )
    b.output("PublicApiWebAclArn", GetAtt(acl, "Arn"), "Web ACL of the public API's stage")
    return acl


def associate(b: StackBuilder, env: EnvironmentSpec, public_stage: apigateway.Stage) -> None:
    """The web ACL in front of the public stage (the private API is reachable only from the VPC)."""
    arn: Any = env.security.waf_web_acl_arn or GetAtt(baseline(b, env), "Arn")
    b.add(
        wafv2.WebACLAssociation(
            "PublicApiWebAclAssociation",
            ResourceArn=Sub(
                "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${PublicApi}/stages/${Stage}",
                Stage=Ref(public_stage),
            ),
            WebACLArn=arn,
        )
    )
