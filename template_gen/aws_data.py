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
