"""Escape hatches: `overrides:` (patches on generated resources) and `extra_resources:` (raw
CloudFormation), applied to the built templates as the pipeline's step after building, validated there.
`spec.py` holds them as plain data (part of the environment's spec), `apply.py` applies and checks them."""
