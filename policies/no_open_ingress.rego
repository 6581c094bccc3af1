# No security group admits traffic from anywhere (0.0.0.0/0 or ::/0), except the mesh's NLB
# listeners: TCP 80 or 443 on a rule whose description starts with "NLB".
package main

import rego.v1

import data.platformctl.plan

deny contains msg if {
	some r in plan.changed
	r.type == "aws_security_group"
	some rule in object.get(r.after, "ingress", [])
	open_to_anywhere(rule)
	not plan.nlb_listener(rule)
	msg := sprintf("%s: an ingress rule admits %v from anywhere (ports %v-%v).", [r.address, object.get(rule, "protocol", "?"), rule.from_port, rule.to_port])
}

deny contains msg if {
	some r in plan.changed
	r.type == "aws_security_group_rule"
	r.after.type == "ingress"
	open_to_anywhere(r.after)
	not plan.nlb_listener(r.after)
	msg := sprintf("%s: admits %v from anywhere (ports %v-%v).", [r.address, object.get(r.after, "protocol", "?"), r.after.from_port, r.after.to_port])
}

deny contains msg if {
	some r in plan.changed
	r.type == "aws_vpc_security_group_ingress_rule"
	object.get(r.after, "cidr_ipv4", "") == plan.anywhere_v4
	not plan.nlb_listener(r.after)
	msg := sprintf("%s: admits %s from anywhere (0.0.0.0/0).", [r.address, object.get(r.after, "ip_protocol", "?")])
}

deny contains msg if {
	some r in plan.changed
	r.type == "aws_vpc_security_group_ingress_rule"
	object.get(r.after, "cidr_ipv6", "") == plan.anywhere_v6
	not plan.nlb_listener(r.after)
	msg := sprintf("%s: admits %s from anywhere (::/0).", [r.address, object.get(r.after, "ip_protocol", "?")])
}

open_to_anywhere(rule) if plan.anywhere_v4 in object.get(rule, "cidr_blocks", [])

open_to_anywhere(rule) if plan.anywhere_v6 in object.get(rule, "ipv6_cidr_blocks", [])
