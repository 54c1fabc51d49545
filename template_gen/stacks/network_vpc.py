"""Network stage, VPC part: a new VPC (subnets, internet and NAT gateways, route tables) or an imported one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from troposphere import GetAtt, GetAZs, Join, Parameter, Ref, Select, ec2

if TYPE_CHECKING:
    from template_gen.stacks.network import NetworkStage


def create_vpc(stage: NetworkStage) -> None:
    b, net = stage.b, stage.net
    vpc = b.add(ec2.VPC("Vpc", CidrBlock=Ref(stage.vpc_cidr), EnableDnsHostnames=True, EnableDnsSupport=True))
    igw = b.add(ec2.InternetGateway("InternetGateway"))
    attach = b.add(ec2.VPCGatewayAttachment("InternetGatewayAttachment", VpcId=Ref(vpc), InternetGatewayId=Ref(igw)))
    public_rt = b.add(ec2.RouteTable("PublicRouteTable", VpcId=Ref(vpc)))
    b.add(
        ec2.Route(
            "PublicDefaultRoute",
            RouteTableId=Ref(public_rt),
            DestinationCidrBlock="0.0.0.0/0",
            GatewayId=Ref(igw),
            DependsOn=attach.title,
        )
    )

    def subnet(tier: str, i: int, cidrs: Parameter) -> ec2.Subnet:
        """The tier's subnet in the `i`-th AZ: PublicSubnet1, PrivateSubnet1, ..."""
        return b.add(
            ec2.Subnet(
                f"{tier.capitalize()}Subnet{i + 1}",
                VpcId=Ref(vpc),
                CidrBlock=Select(i, Ref(cidrs)),
                AvailabilityZone=Select(i, GetAZs("")),
                MapPublicIpOnLaunch=False,
            ),
            [("tier", tier)],
        )

    public = [subnet("public", i, stage.public_cidrs) for i in range(net.az_count)]
    private = [subnet("private", i, stage.private_cidrs) for i in range(net.az_count)]
    for n, pub in enumerate(public, start=1):
        b.add(
            ec2.SubnetRouteTableAssociation(
                f"PublicSubnet{n}RouteTableAssociation", SubnetId=Ref(pub), RouteTableId=Ref(public_rt)
            )
        )
    nat_count = (net.az_count if net.nat_per_az else 1) if net.nat else 0
    nats = []
    for i in range(nat_count):
        n = i + 1
        eip = b.add(ec2.EIP(f"NatEip{n}", Domain="vpc", DependsOn=attach.title))
        nats.append(
            b.add(ec2.NatGateway(f"NatGateway{n}", AllocationId=GetAtt(eip, "AllocationId"), SubnetId=Ref(public[i])))
        )
    stage.private_route_tables = []
    for i, priv in enumerate(private):
        n = i + 1
        # Per-AZ NAT: each AZ routes through its own gateway. Single NAT (or none): one shared private table.
        if net.nat_per_az or i == 0:
            suffix = str(n) if net.nat_per_az else ""
            rt = b.add(ec2.RouteTable(f"PrivateRouteTable{suffix}", VpcId=Ref(vpc)))
            stage.private_route_tables.append(Ref(rt))
            if nats:  # nat_gateways: none leaves the private subnets without a route to the internet
                b.add(
                    ec2.Route(
                        f"PrivateDefaultRoute{suffix}",
                        RouteTableId=Ref(rt),
                        DestinationCidrBlock="0.0.0.0/0",
                        NatGatewayId=Ref(nats[i if net.nat_per_az else 0]),
                    )
                )
        b.add(
            ec2.SubnetRouteTableAssociation(
                f"PrivateSubnet{n}RouteTableAssociation", SubnetId=Ref(priv), RouteTableId=Ref(rt)
            )
        )
    stage.vpc_id = Ref(vpc)
    stage.lb_subnets = [Ref(s) for s in private]
    stage.task_subnets = [Ref(s) for s in private]
    b.output("VpcId", Ref(vpc), "VPC id")
    b.output("PublicSubnetIds", Join(",", [Ref(s) for s in public]), "Public subnets, one per AZ")
    b.output("LoadBalancerSubnetIds", Join(",", stage.lb_subnets), "Private subnets, one per AZ")
    b.output("TaskSubnetIds", Join(",", stage.task_subnets), "Subnets ECS tasks run in")
    b.output("AssignPublicIp", "DISABLED", "Whether tasks need a public IP (public-subnet fallback)")


def import_vpc(stage: NetworkStage) -> None:
    b, net = stage.b, stage.net
    stage.vpc_id = Ref(stage.vpc_param)
    stage.lb_subnets = Ref(stage.lb_subnets_param)
    stage.task_subnets = Ref(stage.task_subnets_param)
    stage.private_route_tables = list(net.endpoint_route_table_ids)
    b.output("VpcId", Ref(stage.vpc_param), "VPC id")
    b.output("LoadBalancerSubnetIds", Join(",", Ref(stage.lb_subnets_param)), "Subnets, one per AZ")
    b.output("TaskSubnetIds", Join(",", Ref(stage.task_subnets_param)), "Subnets ECS tasks run in")
    b.output(
        "AssignPublicIp",
        "ENABLED" if net.assign_public_ip else "DISABLED",
        "Whether tasks need a public IP (public-subnet fallback)",
    )
