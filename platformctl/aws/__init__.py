"""The AWS side: the boto3 adapter, the state bucket, preflight, inventory, kubeconfig, sweep."""
