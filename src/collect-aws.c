/*
 * collect-aws.c: the AWS asset types vigil collects, one entry each.
 *
 * A document is what the AWS CLI prints for the item (the list or describe
 * call's element), plus the enrichment keys below, documented in
 * vigil-rules(7): they are what rules read.
 */
#include "config.h"

#include <string.h>

#include "collect.h"

#define EC2_ARN(kind) "arn:${partition}:ec2:${region}:${account}:" kind "/${id}"

static const struct collect_enrich snapshot_enrich[] = {
	{ "CreateVolumePermissions", "DescribeSnapshotAttribute",
	  "{\"SnapshotId\": \"${id}\", \"Attribute\": \"createVolumePermission\"}",
	  "CreateVolumePermissions", NULL, 0 },
};

static const struct collect_enrich image_enrich[] = {
	{ "LaunchPermissions", "DescribeImageAttribute",
	  "{\"ImageId\": \"${id}\", \"Attribute\": \"launchPermission\"}",
	  "LaunchPermissions", NULL, 0 },
};

static const struct collect_enrich bucket_enrich[] = {
	/* First: the bucket's region, where every other call goes. */
	{ "Region", "GetBucketLocation", "{\"Bucket\": \"${id}\"}",
	  "LocationConstraint", NULL, ENRICH_REGION },
	{ "Acl", "GetBucketAcl", "{\"Bucket\": \"${id}\"}", NULL, NULL, 0 },
	{ "Policy", "GetBucketPolicy", "{\"Bucket\": \"${id}\"}", "Policy",
	  "NoSuchBucketPolicy", ENRICH_JSON_STRING },
	{ "PolicyStatus", "GetBucketPolicyStatus", "{\"Bucket\": \"${id}\"}",
	  "PolicyStatus", "NoSuchBucketPolicy", 0 },
	{ "PublicAccessBlockConfiguration", "GetPublicAccessBlock",
	  "{\"Bucket\": \"${id}\"}", "PublicAccessBlockConfiguration",
	  "NoSuchPublicAccessBlockConfiguration", 0 },
	{ "ServerSideEncryptionConfiguration", "GetBucketEncryption",
	  "{\"Bucket\": \"${id}\"}", "ServerSideEncryptionConfiguration",
	  "ServerSideEncryptionConfigurationNotFoundError", 0 },
	{ "Versioning", "GetBucketVersioning", "{\"Bucket\": \"${id}\"}", NULL,
	  NULL, 0 },
	{ "Logging", "GetBucketLogging", "{\"Bucket\": \"${id}\"}",
	  "LoggingEnabled", NULL, 0 },
	{ "LifecycleRules", "GetBucketLifecycleConfiguration",
	  "{\"Bucket\": \"${id}\"}", "Rules", "NoSuchLifecycleConfiguration",
	  0 },
	{ "Tags", "GetBucketTagging", "{\"Bucket\": \"${id}\"}", "TagSet",
	  "NoSuchTagSet", 0 },
};

static const struct collect_enrich user_enrich[] = {
	{ "AccessKeys", "ListAccessKeys", "{\"UserName\": \"${id}\"}",
	  "AccessKeyMetadata", NULL, 0 },
	{ "MFADevices", "ListMFADevices", "{\"UserName\": \"${id}\"}",
	  "MFADevices", NULL, 0 },
	{ "AttachedPolicies", "ListAttachedUserPolicies",
	  "{\"UserName\": \"${id}\"}", "AttachedPolicies", NULL, 0 },
	{ "InlinePolicyNames", "ListUserPolicies", "{\"UserName\": \"${id}\"}",
	  "PolicyNames", NULL, 0 },
	{ "LoginProfile", "GetLoginProfile", "{\"UserName\": \"${id}\"}",
	  "LoginProfile", "NoSuchEntity", 0 },
};

static const struct collect_enrich role_enrich[] = {
	{ "AttachedPolicies", "ListAttachedRolePolicies",
	  "{\"RoleName\": \"${id}\"}", "AttachedPolicies", NULL, 0 },
	{ "InlinePolicyNames", "ListRolePolicies", "{\"RoleName\": \"${id}\"}",
	  "PolicyNames", NULL, 0 },
};

static const struct collect_enrich kms_enrich[] = {
	{ "KeyMetadata", "DescribeKey", "{\"KeyId\": \"${id}\"}",
	  "KeyMetadata", NULL, 0 },
	{ "KeyRotationEnabled", "GetKeyRotationStatus",
	  "{\"KeyId\": \"${id}\"}", "KeyRotationEnabled",
	  "UnsupportedOperationException", 0 },
};

static const struct collect_enrich trail_enrich[] = {
	{ "Status", "GetTrailStatus", "{\"Name\": \"${arn}\"}", NULL, NULL, 0 },
	{ "EventSelectors", "GetEventSelectors", "{\"TrailName\": \"${arn}\"}",
	  NULL, NULL, 0 },
};

static const struct collect_enrich dbsnapshot_enrich[] = {
	{ "DBSnapshotAttributes", "DescribeDBSnapshotAttributes",
	  "{\"DBSnapshotIdentifier\": \"${id}\"}",
	  "DBSnapshotAttributesResult.DBSnapshotAttributes", NULL, 0 },
};

static const struct collect_enrich dbclustersnapshot_enrich[] = {
	{ "DBClusterSnapshotAttributes", "DescribeDBClusterSnapshotAttributes",
	  "{\"DBClusterSnapshotIdentifier\": \"${id}\"}",
	  "DBClusterSnapshotAttributesResult.DBClusterSnapshotAttributes",
	  NULL, 0 },
};

#define E(a) a, sizeof(a) / sizeof((a)[0])

const struct collect_type collect_aws_types[] = {
	{ "AWS::EC2::SecurityGroup", "ec2", COLLECT_REGIONAL,
	  "DescribeSecurityGroups", NULL, "SecurityGroups", "GroupId",
	  EC2_ARN("security-group"), "GroupName",
	  "DescribeSecurityGroups", "{\"GroupIds\": [\"${id}\"]}",
	  "SecurityGroups[0]", "InvalidGroup.NotFound,InvalidGroupId.Malformed",
	  NULL, NULL, 0 },
	{ "AWS::EC2::Instance", "ec2", COLLECT_REGIONAL,
	  "DescribeInstances", NULL, "Reservations[*].Instances", "InstanceId",
	  EC2_ARN("instance"), "tag:Name",
	  "DescribeInstances", "{\"InstanceIds\": [\"${id}\"]}",
	  "Reservations[0].Instances[0]",
	  "InvalidInstanceID.NotFound,InvalidInstanceID.Malformed",
	  NULL, NULL, 0 },
	{ "AWS::EC2::Volume", "ec2", COLLECT_REGIONAL,
	  "DescribeVolumes", NULL, "Volumes", "VolumeId",
	  EC2_ARN("volume"), "tag:Name",
	  "DescribeVolumes", "{\"VolumeIds\": [\"${id}\"]}", "Volumes[0]",
	  "InvalidVolume.NotFound,InvalidVolume.Malformed", NULL, NULL, 0 },
	{ "AWS::EC2::Snapshot", "ec2", COLLECT_REGIONAL,
	  "DescribeSnapshots", "{\"OwnerIds\": [\"self\"]}", "Snapshots",
	  "SnapshotId", "arn:${partition}:ec2:${region}::snapshot/${id}",
	  "tag:Name",
	  "DescribeSnapshots", "{\"SnapshotIds\": [\"${id}\"]}", "Snapshots[0]",
	  "InvalidSnapshot.NotFound,InvalidSnapshot.Malformed", NULL,
	  E(snapshot_enrich) },
	{ "AWS::EC2::Image", "ec2", COLLECT_REGIONAL,
	  "DescribeImages", "{\"Owners\": [\"self\"]}", "Images", "ImageId",
	  "arn:${partition}:ec2:${region}::image/${id}", "Name",
	  "DescribeImages", "{\"ImageIds\": [\"${id}\"]}", "Images[0]",
	  "InvalidAMIID.NotFound,InvalidAMIID.Unavailable,InvalidAMIID.Malformed",
	  NULL, E(image_enrich) },
	{ "AWS::EC2::VPC", "ec2", COLLECT_REGIONAL,
	  "DescribeVpcs", NULL, "Vpcs", "VpcId", EC2_ARN("vpc"), "tag:Name",
	  "DescribeVpcs", "{\"VpcIds\": [\"${id}\"]}", "Vpcs[0]",
	  "InvalidVpcID.NotFound,InvalidVpcID.Malformed", NULL, NULL, 0 },
	{ "AWS::EC2::Subnet", "ec2", COLLECT_REGIONAL,
	  "DescribeSubnets", NULL, "Subnets", "SubnetId", "SubnetArn",
	  "tag:Name",
	  "DescribeSubnets", "{\"SubnetIds\": [\"${id}\"]}", "Subnets[0]",
	  "InvalidSubnetID.NotFound,InvalidSubnetID.Malformed", NULL, NULL, 0 },
	{ "AWS::EC2::RouteTable", "ec2", COLLECT_REGIONAL,
	  "DescribeRouteTables", NULL, "RouteTables", "RouteTableId",
	  EC2_ARN("route-table"), "tag:Name",
	  "DescribeRouteTables", "{\"RouteTableIds\": [\"${id}\"]}",
	  "RouteTables[0]", "InvalidRouteTableID.NotFound", NULL, NULL, 0 },
	{ "AWS::EC2::InternetGateway", "ec2", COLLECT_REGIONAL,
	  "DescribeInternetGateways", NULL, "InternetGateways",
	  "InternetGatewayId", EC2_ARN("internet-gateway"), "tag:Name",
	  "DescribeInternetGateways",
	  "{\"InternetGatewayIds\": [\"${id}\"]}", "InternetGateways[0]",
	  "InvalidInternetGatewayID.NotFound", NULL, NULL, 0 },
	{ "AWS::EC2::NatGateway", "ec2", COLLECT_REGIONAL,
	  "DescribeNatGateways", NULL, "NatGateways", "NatGatewayId",
	  EC2_ARN("natgateway"), "tag:Name",
	  "DescribeNatGateways", "{\"NatGatewayIds\": [\"${id}\"]}",
	  "NatGateways[0]", "NatGatewayNotFound,NatGatewayMalformed", NULL,
	  NULL, 0 },
	{ "AWS::EC2::NetworkInterface", "ec2", COLLECT_REGIONAL,
	  "DescribeNetworkInterfaces", NULL, "NetworkInterfaces",
	  "NetworkInterfaceId", EC2_ARN("network-interface"), "tag:Name",
	  "DescribeNetworkInterfaces",
	  "{\"NetworkInterfaceIds\": [\"${id}\"]}", "NetworkInterfaces[0]",
	  "InvalidNetworkInterfaceID.NotFound", NULL, NULL, 0 },
	{ "AWS::EC2::NetworkAcl", "ec2", COLLECT_REGIONAL,
	  "DescribeNetworkAcls", NULL, "NetworkAcls", "NetworkAclId",
	  EC2_ARN("network-acl"), "tag:Name",
	  "DescribeNetworkAcls", "{\"NetworkAclIds\": [\"${id}\"]}",
	  "NetworkAcls[0]", "InvalidNetworkAclID.NotFound", NULL, NULL, 0 },
	{ "AWS::EC2::EIP", "ec2", COLLECT_REGIONAL,
	  "DescribeAddresses", NULL, "Addresses", "AllocationId",
	  EC2_ARN("elastic-ip"), "tag:Name",
	  "DescribeAddresses", "{\"AllocationIds\": [\"${id}\"]}",
	  "Addresses[0]", "InvalidAllocationID.NotFound", NULL, NULL, 0 },
	{ "AWS::EC2::FlowLog", "ec2", COLLECT_REGIONAL,
	  "DescribeFlowLogs", NULL, "FlowLogs", "FlowLogId",
	  EC2_ARN("vpc-flow-log"), "tag:Name",
	  "DescribeFlowLogs", "{\"FlowLogIds\": [\"${id}\"]}", "FlowLogs[0]",
	  NULL, NULL, NULL, 0 },
	{ "AWS::EC2::EBSEncryptionByDefault", "ec2", COLLECT_REGIONAL,
	  "GetEbsEncryptionByDefault", NULL, NULL, NULL, NULL, NULL,
	  NULL, NULL, NULL, NULL, NULL, NULL, 0 },
	{ "AWS::S3::Bucket", "s3", COLLECT_GLOBAL,
	  "ListBuckets", NULL, "Buckets", "Name", "arn:${partition}:s3:::${id}",
	  "Name", NULL, NULL, NULL, "NoSuchBucket", NULL, E(bucket_enrich) },
	{ "AWS::S3::AccountPublicAccessBlock", "s3control", COLLECT_GLOBAL,
	  "GetPublicAccessBlock", "{\"AccountId\": \"${account}\"}", NULL,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  "NoSuchPublicAccessBlockConfiguration", NULL, 0 },
	{ "AWS::IAM::User", "iam", COLLECT_GLOBAL,
	  "ListUsers", NULL, "Users", "UserName", "Arn", "UserName",
	  "GetUser", "{\"UserName\": \"${id}\"}", "User", "NoSuchEntity", NULL,
	  E(user_enrich) },
	{ "AWS::IAM::Role", "iam", COLLECT_GLOBAL,
	  "ListRoles", NULL, "Roles", "RoleName", "Arn", "RoleName",
	  "GetRole", "{\"RoleName\": \"${id}\"}", "Role", "NoSuchEntity", NULL,
	  E(role_enrich) },
	{ "AWS::IAM::Group", "iam", COLLECT_GLOBAL,
	  "ListGroups", NULL, "Groups", "GroupName", "Arn", "GroupName",
	  NULL, NULL, NULL, "NoSuchEntity", NULL, NULL, 0 },
	{ "AWS::IAM::AccountPasswordPolicy", "iam", COLLECT_GLOBAL,
	  "GetAccountPasswordPolicy", NULL, NULL, NULL, NULL, NULL,
	  NULL, NULL, NULL, NULL, "NoSuchEntity", NULL, 0 },
	{ "AWS::IAM::AccountSummary", "iam", COLLECT_GLOBAL,
	  "GetAccountSummary", NULL, NULL, NULL, NULL, NULL,
	  NULL, NULL, NULL, NULL, NULL, NULL, 0 },
	{ "AWS::KMS::Key", "kms", COLLECT_REGIONAL,
	  "ListKeys", NULL, "Keys", "KeyId", "KeyArn", NULL,
	  NULL, NULL, NULL, "NotFoundException", NULL, E(kms_enrich) },
	{ "AWS::CloudTrail::Trail", "cloudtrail", COLLECT_REGIONAL,
	  "DescribeTrails", "{\"includeShadowTrails\": false}", "trailList",
	  "Name", "TrailARN", "Name", NULL, NULL, NULL,
	  "TrailNotFoundException", NULL, E(trail_enrich) },
	{ "AWS::RDS::DBInstance", "rds", COLLECT_REGIONAL,
	  "DescribeDBInstances", NULL, "DBInstances", "DBInstanceIdentifier",
	  "DBInstanceArn", "DBInstanceIdentifier",
	  "DescribeDBInstances", "{\"DBInstanceIdentifier\": \"${id}\"}",
	  "DBInstances[0]", "DBInstanceNotFound", NULL, NULL, 0 },
	{ "AWS::RDS::DBCluster", "rds", COLLECT_REGIONAL,
	  "DescribeDBClusters", NULL, "DBClusters", "DBClusterIdentifier",
	  "DBClusterArn", "DBClusterIdentifier",
	  "DescribeDBClusters", "{\"DBClusterIdentifier\": \"${id}\"}",
	  "DBClusters[0]", "DBClusterNotFoundFault", NULL, NULL, 0 },
	{ "AWS::RDS::DBSnapshot", "rds", COLLECT_REGIONAL,
	  "DescribeDBSnapshots", NULL, "DBSnapshots", "DBSnapshotIdentifier",
	  "DBSnapshotArn", "DBSnapshotIdentifier",
	  "DescribeDBSnapshots", "{\"DBSnapshotIdentifier\": \"${id}\"}",
	  "DBSnapshots[0]", "DBSnapshotNotFound", NULL,
	  E(dbsnapshot_enrich) },
	{ "AWS::RDS::DBClusterSnapshot", "rds", COLLECT_REGIONAL,
	  "DescribeDBClusterSnapshots", NULL, "DBClusterSnapshots",
	  "DBClusterSnapshotIdentifier", "DBClusterSnapshotArn",
	  "DBClusterSnapshotIdentifier",
	  "DescribeDBClusterSnapshots",
	  "{\"DBClusterSnapshotIdentifier\": \"${id}\"}",
	  "DBClusterSnapshots[0]", "DBClusterSnapshotNotFoundFault", NULL,
	  E(dbclustersnapshot_enrich) },
};
const size_t collect_aws_ntypes = sizeof collect_aws_types /
    sizeof collect_aws_types[0];

const struct collect_type *
collect_type_find(const char *type)
{
	size_t	 i;

	for (i = 0; i < collect_aws_ntypes; i++) {
		if (strcmp(collect_aws_types[i].type, type) == 0)
			return &collect_aws_types[i];
	}
	return NULL;
}
