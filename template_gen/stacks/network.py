"""Network stage: VPC (created or imported), internal NLB and ALB, VPC link, security groups, ALB access
log bucket, VPC flow logs and the execute-api endpoint. No application resources live here."""

from __future__ import annotations

from typing import Any

from troposphere import GetAtt, Parameter, Ref, Sub, ec2, s3
from troposphere import apigateway as apigw
from troposphere import apigatewayv2 as apigw2
from troposphere import elasticloadbalancingv2 as elbv2

from template_gen import naming
from template_gen.spec import EnvironmentSpec
from template_gen.stacks import ingress_tls, network_endpoints, network_logs, network_vpc, security
from template_gen.stacks.common import StackBuilder, Stage

HEALTH_PATH = "/_platform/health"
HEALTH_RULE_PRIORITY = 50000


class NetworkStage:
    # Filled in as the build goes: the VPC part sets where things go, the rest attaches to it.
    vpc_id: Any
    lb_subnets: Any
    task_subnets: Any
    private_route_tables: list[Any]  # of the task subnets (the S3 gateway endpoint's routes)
    vpc_cidr: Parameter
    log_retention: Parameter
    access_log_days: Parameter
    public_cidrs: Parameter
    private_cidrs: Parameter
    vpc_param: Parameter
    lb_subnets_param: Parameter
    task_subnets_param: Parameter
    alb_sg: ec2.SecurityGroup
    bucket: s3.Bucket
    bucket_policy: s3.BucketPolicy

    def __init__(self, env: EnvironmentSpec):
        self.env = env
        self.net = env.network
        self.name_prefix = env.stack_name
        self.b = StackBuilder(f"{env.platform} {env.name}: network stage", env.tags)

    def build(self) -> Stage:
        self._parameters()
        if self.net.creates_vpc:
            network_vpc.create_vpc(self)
        else:
            network_vpc.import_vpc(self)
        network_logs.flow_logs(self)
        self._security_groups()
        network_logs.access_log_bucket(self)
        self._load_balancers()
        if self.net.ingress == "nlb-alb":
            self._nlb_and_vpc_link()
        else:
            self._vpc_link_v2()
        self._execute_api_endpoint()
        network_endpoints.vpc_endpoints(self)
        stage = Stage("network", "NetworkStack", "network.yaml", self.b)
        stage.root_outputs = [
            ("VpcId", "VpcId", "VPC of the environment"),
            ("TaskSubnetIds", "TaskSubnetIds", "Subnets ECS tasks run in"),
            ("AlbListenerArn", "AlbListenerArn", "Internal ALB HTTP listener"),
            ("AlbDnsName", "AlbDnsName", "Internal ALB DNS name"),
            ("AlbSecurityGroupId", "AlbSecurityGroupId", "Security group of the internal ALB"),
        ]
        return stage

    # ------------------------------------------------------------------ parameters
    def _parameters(self) -> None:
        b, net = self.b, self.net
        self.vpc_cidr = b.parameter("VpcCidr", net.vpc_cidr, description="CIDR block of the VPC")
        if net.flow_logs:
            self.log_retention = b.parameter(
                "FlowLogRetentionDays", str(net.flow_logs_retention), "Number", "Retention of the VPC flow logs"
            )
        if net.creates_vpc:
            self.public_cidrs = b.parameter(
                "PublicSubnetCidrs", ",".join(net.public_subnet_cidrs), "CommaDelimitedList", "One per AZ"
            )
            self.private_cidrs = b.parameter(
                "PrivateSubnetCidrs", ",".join(net.private_subnet_cidrs), "CommaDelimitedList", "One per AZ"
            )
        else:
            self.vpc_param = b.parameter("VpcId", net.vpc_id, "AWS::EC2::VPC::Id", "Existing VPC")
            self.lb_subnets_param = b.parameter(
                "LoadBalancerSubnetIds",
                ",".join(net.lb_subnet_ids),
                "List<AWS::EC2::Subnet::Id>",
                "One subnet per AZ for load balancers and endpoints",
            )
            self.task_subnets_param = b.parameter(
                "TaskSubnetIds",
                ",".join(net.task_subnet_ids),
                "List<AWS::EC2::Subnet::Id>",
                "Subnets for ECS tasks",
            )
        if net.alb_access_logs:
            self.access_log_days = b.parameter(
                "AccessLogExpirationDays",
                str(net.access_log_expiration_days),
                "Number",
                "Days ALB access logs are kept",
            )

    # ------------------------------------------------------------------ security groups
    def _vpc_rule(self, port: int, description: str) -> ec2.SecurityGroupRule:
        """TCP on one port, to or from anywhere in the VPC."""
        return ec2.SecurityGroupRule(
            IpProtocol="tcp", FromPort=port, ToPort=port, CidrIp=Ref(self.vpc_cidr), Description=description
        )

    def _security_groups(self) -> None:
        b, ports = self.b, self.net.container_ports
        egress = [self._vpc_rule(p, f"to ECS tasks on port {p}") for p in ports]
        if not egress:  # no ECS service yet: replace the default allow-all egress with a rule that matches nothing
            egress = [security.no_egress("no egress until a service needs it")]
        # No CIDR ingress: the ALB admits only the group of the hop in front of it (security.ingress_from),
        # so nothing in the VPC can skip API Gateway's authorizer and forge the consumer headers.
        alb_sg = b.add(
            ec2.SecurityGroup(
                "AlbSecurityGroup",
                GroupDescription=f"{self.name_prefix} internal ALB: HTTP only from the NLB or VPC link in front of it",
                VpcId=self.vpc_id,
                SecurityGroupEgress=egress,
            )
        )
        # The services' own security groups (each admitting this group and its declared callers) live in
        # their compute shards: stacks/service_security.py.
        self.alb_sg = alb_sg
        b.output("AlbSecurityGroupId", GetAtt(alb_sg, "GroupId"), "Security group of the internal ALB")

    # ------------------------------------------------------------------ load balancers
    def _load_balancers(self) -> None:
        """One internal ALB per hundred-odd services (ALB quota); the first keeps the plain names."""
        b, net = self.b, self.net
        attributes = [
            elbv2.LoadBalancerAttributes(Key="idle_timeout.timeout_seconds", Value=str(net.alb_idle_timeout)),
            elbv2.LoadBalancerAttributes(Key="routing.http.drop_invalid_header_fields.enabled", Value="true"),
            *security.deletion_protection(self.env),
        ]
        depends = []
        if net.alb_access_logs:
            attributes += [
                elbv2.LoadBalancerAttributes(Key="access_logs.s3.enabled", Value="true"),
                elbv2.LoadBalancerAttributes(Key="access_logs.s3.bucket", Value=Ref(self.bucket)),
                elbv2.LoadBalancerAttributes(Key="access_logs.s3.prefix", Value="alb"),
            ]
            depends = [self.bucket_policy.title]  # the ALB checks it may write before it is created
        self.albs: list[tuple[elbv2.LoadBalancer, elbv2.Listener]] = []
        for index in range(1, self.env.placement.alb_count + 1):
            name = naming.alb_id(index)
            alb = b.add(
                elbv2.LoadBalancer(
                    name,
                    Type="application",
                    Scheme="internal",
                    Subnets=self.lb_subnets,
                    SecurityGroups=[GetAtt(self.alb_sg, "GroupId")],
                    LoadBalancerAttributes=attributes,
                    **({"DependsOn": depends} if depends else {}),
                )
            )
            listener = b.add(
                elbv2.Listener(
                    ingress_tls.alb_listener_id(name, self.env),
                    LoadBalancerArn=Ref(alb),
                    **ingress_tls.alb_listener_settings(self.env),
                    DefaultActions=[
                        elbv2.Action(
                            Type="fixed-response",
                            FixedResponseConfig=elbv2.FixedResponseConfig(
                                StatusCode="404", ContentType="application/json", MessageBody='{"message":"Not Found"}'
                            ),
                        )
                    ],
                )
            )
            b.add(
                elbv2.ListenerRule(
                    f"{name}HealthRule",
                    ListenerArn=Ref(listener),
                    Priority=HEALTH_RULE_PRIORITY,
                    Conditions=[
                        elbv2.Condition(
                            Field="path-pattern", PathPatternConfig=elbv2.PathPatternConfig(Values=[HEALTH_PATH])
                        )
                    ],
                    Actions=[
                        elbv2.ListenerRuleAction(
                            Type="fixed-response",
                            FixedResponseConfig=elbv2.FixedResponseConfig(
                                StatusCode="200", ContentType="text/plain", MessageBody="ok"
                            ),
                        )
                    ],
                )
            )
            self.albs.append((alb, listener))
            label = "Internal ALB" if index == 1 else f"Internal ALB {index}"
            b.output(f"{name}Arn", Ref(alb), label)
            b.output(f"{name}FullName", GetAtt(alb, "LoadBalancerFullName"), f"{label}: full name (request scaling)")
            b.output(f"{name}DnsName", GetAtt(alb, "DNSName"), f"{label}: DNS name")
            protocol = ingress_tls.protocol(self.env)
            b.output(f"{name}ListenerArn", Ref(listener), f"{label}: {protocol} listener that service rules attach to")

    def _nlb_and_vpc_link(self) -> None:
        b = self.b
        env = self.env
        alb_port = ingress_tls.alb_port(env)
        nlb_sg = security.nlb_security_group(self, alb_port)
        # A security group can be given to an NLB only when it is created, so the NLB (and its listeners and
        # target groups: an ALB can be the target of at most two NLBs, one target group each) carry new
        # logical IDs: CloudFormation creates the new hop, repoints the VPC link, then deletes the old one.
        nlb = b.add(
            elbv2.LoadBalancer(
                security.NLB_ID,
                Type="network",
                Scheme="internal",
                Subnets=self.lb_subnets,
                SecurityGroups=[GetAtt(nlb_sg, "GroupId")],
                # API Gateway's VPC link reaches the NLB over PrivateLink: admitted without an inbound rule,
                # while nothing else in the VPC is (the group has no inbound rule at all).
                EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic="off",
                LoadBalancerAttributes=[
                    elbv2.LoadBalancerAttributes(Key="load_balancing.cross_zone.enabled", Value="true"),
                    *security.deletion_protection(self.env),
                ],
            )
        )
        # Each ALB sits behind its own NLB listener port (80, 81, ..., or 443, 444, ... passing TLS through);
        # API routes pick the port of theirs.
        nlb_listeners: list[str] = []
        for index, (alb, listener) in enumerate(self.albs, start=1):
            target = b.add(
                elbv2.TargetGroup(
                    ingress_tls.nlb_target_group_id(index, env),
                    TargetType="alb",
                    Protocol="TCP",
                    Port=alb_port,
                    VpcId=self.vpc_id,
                    Targets=[elbv2.TargetDescription(Id=Ref(alb), Port=alb_port)],
                    HealthCheckProtocol=ingress_tls.protocol(env),
                    HealthCheckPath=HEALTH_PATH,
                    Matcher=elbv2.Matcher(HttpCode="200"),
                    # Targets=Ref(ALB) already orders it after the ALB; an ALB can only be registered once it
                    # has a listener on the port ("the target must have at least one listener that matches the
                    # target group port", terraform-provider-aws#38987).
                    DependsOn=[listener.title],
                )
            )
            b.output(
                f"NlbTo{naming.alb_id(index)}TargetGroupFullName",
                GetAtt(target, "TargetGroupFullName"),
                f"NLB target group of ALB {index} (alarms)",
            )
            nlb_listener = b.add(
                elbv2.Listener(
                    ingress_tls.nlb_listener_id(index, env),
                    LoadBalancerArn=Ref(nlb),
                    Port=ingress_tls.nlb_port(index, env),
                    Protocol="TCP",
                    DefaultActions=[elbv2.Action(Type="forward", TargetGroupArn=Ref(target))],
                )
            )
            nlb_listeners.append(nlb_listener.title)
        security.alb_ingress_from(self, nlb_sg, "from the NLB (the API Gateway VPC link)", alb_port)
        link = b.add(
            apigw.VpcLink(
                "VpcLink",
                Name=self.name_prefix,
                TargetArns=[Ref(nlb)],
                Description=f"{self.name_prefix}: API Gateway to the internal NLB",
                # Optimistic stabilization reports the NLB created while it is still provisioning, and the link
                # then fails with "NLB is not in active state" (cloudformation-coverage-roadmap#1951): waiting
                # for its listeners gives the NLB the time to become active.
                DependsOn=nlb_listeners,
            )
        )
        b.output("NlbArn", Ref(nlb), "Internal NLB (VPC link target)")
        b.output("NlbDnsName", GetAtt(nlb, "DNSName"), "Internal NLB DNS name (integration host)")
        b.output("NlbFullName", GetAtt(nlb, "LoadBalancerFullName"), "Internal NLB full name (metrics)")
        b.output("NlbSecurityGroupId", GetAtt(nlb_sg, "GroupId"), "Security group of the internal NLB")
        b.output("VpcLinkId", Ref(link), "REST API VPC link to the NLB")

    def _vpc_link_v2(self) -> None:
        b = self.b
        alb_port = ingress_tls.alb_port(self.env)
        sg = b.add(
            ec2.SecurityGroup(
                "VpcLinkSecurityGroup",
                GroupDescription=f"{self.name_prefix} VPC link: to the internal ALB only",
                VpcId=self.vpc_id,
                SecurityGroupEgress=[
                    ec2.SecurityGroupRule(
                        IpProtocol="tcp",
                        FromPort=alb_port,
                        ToPort=alb_port,
                        DestinationSecurityGroupId=GetAtt(self.alb_sg, "GroupId"),
                        Description=f"{ingress_tls.protocol(self.env)} to the internal ALB",
                    )
                ],
            )
        )
        security.alb_ingress_from(self, sg, "from the API Gateway VPC link", alb_port)
        link = b.add(
            apigw2.VpcLink(
                "VpcLink",
                Name=self.name_prefix,
                SubnetIds=self.lb_subnets,
                SecurityGroupIds=[GetAtt(sg, "GroupId")],
            )
        )
        b.output("VpcLinkId", Ref(link), "VPC link v2 to the internal ALB")

    # ------------------------------------------------------------------ private API endpoint
    def _execute_api_endpoint(self) -> None:
        b, net = self.b, self.net
        if net.execute_api_endpoint == "existing":
            b.output("ExecuteApiEndpointId", net.execute_api_endpoint_id, "execute-api VPC endpoint (existing)")
            return
        if net.execute_api_endpoint != "create":
            return
        sg = b.add(
            ec2.SecurityGroup(
                "ExecuteApiEndpointSecurityGroup",
                GroupDescription=f"{self.name_prefix} execute-api endpoint: HTTPS from the VPC",
                VpcId=self.vpc_id,
                SecurityGroupIngress=[self._vpc_rule(443, "HTTPS from the VPC")],
                # An interface endpoint only answers (security groups are stateful): no outbound rule is needed.
                SecurityGroupEgress=[security.no_egress("none: the endpoint only answers requests")],
            )
        )
        endpoint = b.add(
            ec2.VPCEndpoint(
                "ExecuteApiEndpoint",
                VpcId=self.vpc_id,
                VpcEndpointType="Interface",
                ServiceName=Sub("com.amazonaws.${AWS::Region}.execute-api"),
                SubnetIds=self.lb_subnets,
                SecurityGroupIds=[GetAtt(sg, "GroupId")],
                PrivateDnsEnabled=net.execute_api_private_dns,
            )
        )
        b.output("ExecuteApiEndpointId", Ref(endpoint), "execute-api VPC endpoint for the private API")


def build(env: EnvironmentSpec) -> Stage:
    return NetworkStage(env).build()
