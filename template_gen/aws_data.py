"""Facts about AWS that the templates depend on and CloudFormation cannot look up."""

from __future__ import annotations

# Elastic Load Balancing accounts that deliver access logs in Regions launched before August 2022. Newer
# Regions use the service principal logdelivery.elasticloadbalancing.amazonaws.com instead.
ELB_LOG_DELIVERY_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-southeast-3": "589379963580",
    "ap-south-1": "718504428378",
    "ap-northeast-3": "383597477331",
    "ap-northeast-2": "600734575887",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-south-1": "635631232127",
    "eu-west-3": "009996457667",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584",
    "us-gov-east-1": "190560391635",
}

ELB_LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"

# The official Powertools for AWS Lambda (Python) layers are published by this account.
POWERTOOLS_LAYER_ACCOUNT = "017000801446"
# The Powertools release the functions are written and tested against; `powertools.source: bundle`
# installs exactly this version into each function package.
POWERTOOLS_VERSION = "3.37.0"
POWERTOOLS_EXTRAS = "tracer,parser"

# The type of a nested stack resource in a root template.
STACK_TYPE = "AWS::CloudFormation::Stack"

# Regions the official Powertools for AWS Lambda (Python) V3 layer is published to, with the public SSM
# parameters that name it (/aws/service/powertools/...). Elsewhere the parameter does not exist and the
# stack fails to resolve it: the registry pins `layer_version` (a literal layer ARN) or bundles Powertools.
POWERTOOLS_LAYER_REGIONS = frozenset(
    {
        "af-south-1",
        "ap-east-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-7",
        "ca-central-1",
        "ca-west-1",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
    }
)
