"""Which resource types the data-flow model knows: data, relays, edges, and types that move no data.

Fail closed: a type in none of these sets may move data the model does not follow (a backup
selection, a DataSync task, an AppFlow flow, a Glue job...), so it is a finding that names the
type, never skipped. Custom resources (``Custom::*``) are modelled: their properties go to the
function behind ``ServiceToken``, and what they return reaches whoever reads their attributes.
"""

from __future__ import annotations

#: Types that hold data (nodes a service owns when its perimeter declares them).
DATA_TYPES = frozenset(
    {
        "AWS::DynamoDB::Table",
        "AWS::DynamoDB::GlobalTable",
        "AWS::S3::Bucket",
        "AWS::SQS::Queue",
        "AWS::SNS::Topic",
        "AWS::SecretsManager::Secret",
        "AWS::SSM::Parameter",
        "AWS::Logs::LogGroup",
        "AWS::Kinesis::Stream",
        "AWS::EFS::FileSystem",
        "AWS::EFS::AccessPoint",
        "AWS::Events::EventBus",
        "AWS::ECR::Repository",
        "AWS::Elasticsearch::Domain",
        "AWS::OpenSearchService::Domain",
        "AWS::S3Express::DirectoryBucket",
        "AWS::S3Tables::TableBucket",
        "AWS::S3Tables::Table",
        "AWS::Backup::BackupVault",
        "AWS::Cognito::UserPool",
    }
)

#: Types whose properties are edges (read by ``edges.py``), or principals that relay data.
EDGE_TYPES = frozenset(
    {
        "AWS::Lambda::Function",
        "AWS::Lambda::LayerVersion",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Lambda::EventInvokeConfig",
        "AWS::Pipes::Pipe",
        "AWS::Logs::SubscriptionFilter",
        "AWS::Logs::Destination",
        "AWS::KinesisFirehose::DeliveryStream",
        "AWS::Kinesis::StreamConsumer",
        "AWS::SNS::Subscription",
        "AWS::StepFunctions::StateMachine",
        "AWS::Events::Rule",
        "AWS::Scheduler::Schedule",
        "AWS::SecretsManager::RotationSchedule",
        "AWS::CloudFormation::CustomResource",
        "AWS::Backup::BackupSelection",
    }
)

#: Types that move no service's data to another principal: identity, keys, networking, the API
#: front door (requests come from users, not from a service's data), monitoring, resource
#: policies (read by the identity model), qualifiers of a function (invoking them is invoking it).
INERT_TYPES = frozenset(
    {
        "AWS::CDK::Metadata",
        "AWS::CloudFormation::Stack",
        "AWS::CloudFormation::WaitCondition",
        "AWS::CloudFormation::WaitConditionHandle",
        "AWS::Lambda::Permission",
        "AWS::Lambda::Url",
        "AWS::Lambda::Alias",
        "AWS::Lambda::Version",
        "AWS::Lambda::LayerVersionPermission",
        "AWS::SQS::QueuePolicy",
        "AWS::SQS::QueueInlinePolicy",
        "AWS::SNS::TopicPolicy",
        "AWS::SNS::TopicInlinePolicy",
        "AWS::S3::BucketPolicy",
        "AWS::S3::AccessPoint",
        "AWS::S3::MultiRegionAccessPoint",
        "AWS::S3::MultiRegionAccessPointPolicy",
        "AWS::S3ObjectLambda::AccessPointPolicy",
        "AWS::S3Express::BucketPolicy",
        "AWS::S3Outposts::BucketPolicy",
        "AWS::S3Tables::TableBucketPolicy",
        "AWS::S3Tables::TablePolicy",
        "AWS::Logs::ResourcePolicy",
        "AWS::Logs::MetricFilter",
        "AWS::SecretsManager::ResourcePolicy",
        "AWS::SSM::ResourcePolicy",
        "AWS::Events::EventBusPolicy",
        "AWS::Kinesis::ResourcePolicy",
        "AWS::CodeArtifact::Domain",
        "AWS::CodeArtifact::Repository",
        "AWS::Scheduler::ScheduleGroup",
        "AWS::EFS::MountTarget",
        "AWS::CloudFront::CloudFrontOriginAccessIdentity",
        "AWS::CloudFront::OriginAccessControl",
        "AWS::CloudFront::CachePolicy",
        "AWS::CloudFront::OriginRequestPolicy",
        "AWS::CloudFront::ResponseHeadersPolicy",
        "AWS::CloudFront::Distribution",
        "AWS::CertificateManager::Certificate",
        "AWS::EC2::VPC",
        "AWS::EC2::Subnet",
        "AWS::EC2::SecurityGroup",
        "AWS::EC2::SecurityGroupIngress",
        "AWS::EC2::SecurityGroupEgress",
        "AWS::EC2::RouteTable",
        "AWS::EC2::Route",
        "AWS::EC2::SubnetRouteTableAssociation",
        "AWS::EC2::InternetGateway",
        "AWS::EC2::VPCGatewayAttachment",
        "AWS::EC2::NatGateway",
        "AWS::EC2::EIP",
        "AWS::EC2::VPCEndpoint",
        "AWS::EC2::NetworkAcl",
        "AWS::EC2::NetworkAclEntry",
        "AWS::EC2::SubnetNetworkAclAssociation",
        "AWS::EC2::FlowLog",
        "AWS::EC2::InstanceProfile",
        "AWS::WAFv2::WebACL",
        "AWS::WAFv2::WebACLAssociation",
        "AWS::WAFv2::IPSet",
        "AWS::WAFv2::RegexPatternSet",
        "AWS::WAFv2::RuleGroup",
        "AWS::WAFv2::LoggingConfiguration",
        "AWS::Backup::BackupPlan",
    }
)

#: Whole services whose every type is inert for data flow.
INERT_PREFIXES = (
    "AWS::IAM::",
    "AWS::KMS::",
    "AWS::ApiGateway::",
    "AWS::ApiGatewayV2::",
    "AWS::CloudWatch::",
    "AWS::Cognito::",
    "AWS::Route53::",
)


def is_custom_resource(resource_type: str) -> bool:
    return resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource"


def is_known(resource_type: str) -> bool:
    """True when the model follows the type (or knows it moves no data)."""
    return (
        resource_type in DATA_TYPES
        or resource_type in EDGE_TYPES
        or resource_type in INERT_TYPES
        or resource_type.startswith(INERT_PREFIXES)
        or is_custom_resource(resource_type)
    )
