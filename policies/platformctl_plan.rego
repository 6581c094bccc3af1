# Helpers of the shipped policies: the resources a `tofu show -json` plan creates or updates.
# Not a policy itself (it has no deny rules); the policies import it as data.platformctl.plan.
package platformctl.plan

import rego.v1

# Each managed resource the plan leaves in place after apply, with its planned values.
changed contains {"address": rc.address, "type": rc.type, "after": rc.change.after} if {
	some rc in input.resource_changes
	rc.mode == "managed"
	is_object(rc.change.after)
}

anywhere_v4 := "0.0.0.0/0"

anywhere_v6 := "::/0"

# The one opening the platform has on purpose: the mesh's NLB listeners (TCP 80 and 443),
# recognised by a description that starts with "NLB".
nlb_listener(rule) if {
	startswith(upper(object.get(rule, "description", "")), "NLB")
	rule.from_port == rule.to_port
	rule.from_port in {80, 443}
	lower(sprintf("%v", [object.get(rule, "protocol", object.get(rule, "ip_protocol", ""))])) in {"tcp", "6"}
}
