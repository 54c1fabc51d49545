"""Day-2 operations against a deployed environment: deploy, status, logs, exec and image promotion.

Everything here talks to AWS through clients from an injectable factory (`review.aws.ClientFactory`), so
tests drive it with botocore's Stubber and recorded responses."""
