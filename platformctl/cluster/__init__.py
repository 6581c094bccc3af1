"""The cluster side: the Kubernetes-client adapter, training jobs and the Training Operator chart."""
