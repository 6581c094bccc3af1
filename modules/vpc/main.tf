# main.tf: a VPC over several availability zones: one public and one private subnet per
# zone, an internet gateway, NAT gateways with their Elastic IPs (one per zone so a zone
# failure does not cut the others off, or one in the first zone for all, var.nat_gateways),
# and route tables. Subnets carry the tags the AWS Load Balancer Controller uses to
# discover them.

locals {
  # Keyed by zone so adding a zone never renumbers the others.
  zones = {
    for index, zone in var.availability_zones : zone => {
      index          = index
      private_subnet = var.private_subnets[index]
      public_subnet  = var.public_subnets[index]
    }
  }
  cluster_tag = { "kubernetes.io/cluster/${var.cluster_name}" = "shared" }
  # Zones that hold a NAT gateway, and the zone whose gateway each zone's private subnet
  # uses. Still keyed by zone: switching between "one" and "per-az" adds or removes the
  # other zones' gateways and re-points routes, it never replaces the first zone's.
  nat_zones = var.nat_gateways == "one" ? { for zone, z in local.zones : zone => z if z.index == 0 } : local.zones
  egress_zone = {
    for zone, _ in local.zones : zone => var.nat_gateways == "one" ? var.availability_zones[0] : zone
  }
}

resource "aws_vpc" "this" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = merge(var.tags, { Name = var.name })

  lifecycle {
    precondition {
      condition     = length(var.private_subnets) == length(var.availability_zones) && length(var.public_subnets) == length(var.availability_zones)
      error_message = "private_subnets and public_subnets must each list one CIDR block per availability zone."
    }
    precondition {
      condition = alltrue([
        for cidr in concat(var.private_subnets, var.public_subnets) :
        cidrsubnet(cidr, 0, 0) == cidr && tonumber(split("/", cidr)[1]) >= tonumber(split("/", var.vpc_cidr)[1])
      ])
      error_message = "every subnet CIDR block must be a network address no larger than vpc_cidr."
    }
  }
}

# Deny everything on the default security group: nothing should use it.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id
  tags   = merge(var.tags, { Name = "${var.name}-default-deny" })
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
  tags   = merge(var.tags, { Name = var.name })
}

resource "aws_subnet" "public" {
  for_each = local.zones

  vpc_id            = aws_vpc.this.id
  availability_zone = each.key
  cidr_block        = each.value.public_subnet
  # Nodes live in the private subnets; public subnets only hold NAT gateways and
  # internet-facing load balancers, which get their addresses explicitly.
  map_public_ip_on_launch = false

  tags = merge(var.tags, local.cluster_tag, {
    Name                     = "${var.name}-public-${each.key}"
    "kubernetes.io/role/elb" = "1"
  })
}

resource "aws_subnet" "private" {
  for_each = local.zones

  vpc_id            = aws_vpc.this.id
  availability_zone = each.key
  cidr_block        = each.value.private_subnet

  tags = merge(var.tags, local.cluster_tag, {
    Name                              = "${var.name}-private-${each.key}"
    "kubernetes.io/role/internal-elb" = "1"
  })
}

resource "aws_eip" "nat" {
  for_each = local.nat_zones

  domain = "vpc"
  tags   = merge(var.tags, { Name = "${var.name}-nat-${each.key}" })

  depends_on = [aws_internet_gateway.this]
}

resource "aws_nat_gateway" "this" {
  for_each = local.nat_zones

  allocation_id = aws_eip.nat[each.key].id
  subnet_id     = aws_subnet.public[each.key].id
  tags          = merge(var.tags, { Name = "${var.name}-${each.key}" })

  depends_on = [aws_internet_gateway.this]
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id
  tags   = merge(var.tags, { Name = "${var.name}-public" })
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  for_each = local.zones

  subnet_id      = aws_subnet.public[each.key].id
  route_table_id = aws_route_table.public.id
}

# One private route table per zone, each through the NAT gateway of its own zone (or of
# the first zone, with nat_gateways = "one").
resource "aws_route_table" "private" {
  for_each = local.zones

  vpc_id = aws_vpc.this.id
  tags   = merge(var.tags, { Name = "${var.name}-private-${each.key}" })
}

resource "aws_route" "private_nat" {
  for_each = local.zones

  route_table_id         = aws_route_table.private[each.key].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[local.egress_zone[each.key]].id
}

resource "aws_route_table_association" "private" {
  for_each = local.zones

  subnet_id      = aws_subnet.private[each.key].id
  route_table_id = aws_route_table.private[each.key].id
}
