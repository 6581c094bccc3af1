"""platformctl: stand up an ML platform on AWS with Terragrunt and OpenTofu."""

__version__ = "0.1.0"
