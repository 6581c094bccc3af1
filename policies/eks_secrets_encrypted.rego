# EKS clusters encrypt Kubernetes Secrets with a KMS key (envelope encryption).
package main

import rego.v1

import data.platformctl.plan

deny contains msg if {
	some r in plan.changed
	r.type == "aws_eks_cluster"
	not secrets_encrypted(r.after)
	msg := sprintf("%s: Kubernetes Secrets are not encrypted with a KMS key (encryption_config with resources = [\"secrets\"]).", [r.address])
}

secrets_encrypted(after) if {
	some config in after.encryption_config
	"secrets" in config.resources
}
