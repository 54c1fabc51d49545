"""Stand-in for the platform function (the golden case only renders templates)."""


def lambda_handler(event, context):
    return {}
