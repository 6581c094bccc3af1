# No S3 bucket is public: public access blocks block everything, no public ACL, and no bucket
# policy allows everyone without a condition.
package main

import rego.v1

import data.platformctl.plan

public_acls := {"public-read", "public-read-write", "authenticated-read"}

public_groups := {
	"http://acs.amazonaws.com/groups/global/AllUsers",
	"http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
}

block_settings := ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]

deny contains msg if {
	some r in plan.changed
	r.type == "aws_s3_bucket_public_access_block"
	some setting in block_settings
	object.get(r.after, setting, false) != true
	msg := sprintf("%s: %s is not true, so the bucket can be made public.", [r.address, setting])
}

deny contains msg if {
	some r in plan.changed
	r.type in {"aws_s3_bucket", "aws_s3_bucket_acl"}
	object.get(r.after, "acl", "") in public_acls
	msg := sprintf("%s: the canned ACL %q makes the bucket public.", [r.address, r.after.acl])
}

deny contains msg if {
	some r in plan.changed
	r.type == "aws_s3_bucket_acl"
	some policy in object.get(r.after, "access_control_policy", [])
	some grant in policy.grant
	some grantee in grant.grantee
	object.get(grantee, "uri", "") in public_groups
	msg := sprintf("%s: the ACL grants %s to %s.", [r.address, grant.permission, grantee.uri])
}

deny contains msg if {
	some r in plan.changed
	r.type == "aws_s3_bucket_policy"
	is_string(r.after.policy)
	some statement in statements(json.unmarshal(r.after.policy))
	statement.Effect == "Allow"
	everyone(statement.Principal)
	not statement.Condition
	msg := sprintf("%s: a statement allows everyone (Principal \"*\") without a condition.", [r.address])
}

statements(document) := document.Statement if is_array(document.Statement)

statements(document) := [document.Statement] if is_object(document.Statement)

everyone("*")

everyone(principal) if principal.AWS == "*"

everyone(principal) if "*" in principal.AWS
