# outputs.tf: what the eks and kubeflow units read (vpc_id, private_subnet_ids,
# public_subnet_ids) and what operators look up. Lists follow var.availability_zones.

output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "availability_zones" {
  description = "Availability zones of the subnets, in the order of the subnet ID lists."
  value       = var.availability_zones
}

output "private_subnet_ids" {
  description = "IDs of the private subnets, one per availability zone, in the order of var.availability_zones."
  value       = [for zone in var.availability_zones : aws_subnet.private[zone].id]
}

output "public_subnet_ids" {
  description = "IDs of the public subnets, one per availability zone, in the order of var.availability_zones."
  value       = [for zone in var.availability_zones : aws_subnet.public[zone].id]
}

output "internet_gateway_id" {
  description = "ID of the internet gateway."
  value       = aws_internet_gateway.this.id
}

output "nat_gateway_ids" {
  description = "IDs of the NAT gateways in the order of var.availability_zones: one per zone, or only the first zone's with nat_gateways = \"one\"."
  value       = [for zone in var.availability_zones : aws_nat_gateway.this[zone].id if contains(keys(local.nat_zones), zone)]
}

output "nat_public_ips" {
  description = "Elastic IP addresses of the NAT gateways (the VPC's egress addresses, for allow lists such as the EKS endpoint's public_cidrs)."
  value       = [for zone in var.availability_zones : aws_eip.nat[zone].public_ip if contains(keys(local.nat_zones), zone)]
}

output "public_route_table_id" {
  description = "ID of the route table of the public subnets."
  value       = aws_route_table.public.id
}

output "private_route_table_ids" {
  description = "IDs of the private route tables, one per availability zone, in the order of var.availability_zones."
  value       = [for zone in var.availability_zones : aws_route_table.private[zone].id]
}

output "flow_log_group_name" {
  description = "CloudWatch log group of the VPC flow logs (null when flow logs are off)."
  value       = var.enable_flow_logs ? aws_cloudwatch_log_group.flow_logs[0].name : null
}
