"""template-gen: a service registry in, SAM/CloudFormation nested stacks out."""

__version__ = "0.1.0"
