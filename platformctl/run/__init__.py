"""Runs: terragrunt command lines and output, and the plan-all, deploy and destroy flows around them."""
