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
	/* Last, in each access key: when and where it was last used. */
	{ "AccessKeyLastUsed", "GetAccessKeyLastUsed",
	  "{\"AccessKeyId\": \"${doc:AccessKeyId}\"}", "AccessKeyLastUsed",
	  NULL, ENRICH_PER_ITEM, "AccessKeys[*]" },
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

static const struct collect_enrich lambda_enrich[] = {
	{ "Policy", "GetPolicy", "{\"FunctionName\": \"${id}\"}", "Policy",
	  "ResourceNotFoundException", ENRICH_JSON_STRING },
	{ "UrlConfig", "GetFunctionUrlConfig",
	  "{\"FunctionName\": \"${id}\"}", NULL, "ResourceNotFoundException",
	  0 },
};

static const struct collect_enrich ecr_enrich[] = {
	{ "Policy", "GetRepositoryPolicy", "{\"repositoryName\": \"${id}\"}",
	  "policyText", "RepositoryPolicyNotFoundException",
	  ENRICH_JSON_STRING },
};

static const struct collect_enrich elbv2_enrich[] = {
	{ "Listeners", "DescribeListeners", "{\"LoadBalancerArn\": \"${id}\"}",
	  "Listeners", NULL, 0 },
	{ "Attributes", "DescribeLoadBalancerAttributes",
	  "{\"LoadBalancerArn\": \"${id}\"}", "Attributes", NULL, 0 },
	{ "Tags", "DescribeTags", "{\"ResourceArns\": [\"${id}\"]}",
	  "TagDescriptions[0].Tags", NULL, 0 },
};

static const struct collect_enrich topic_enrich[] = {
	{ "Attributes", "GetTopicAttributes", "{\"TopicArn\": \"${id}\"}",
	  "Attributes", NULL, 0 },
};

static const struct collect_enrich recorder_enrich[] = {
	{ "Status", "DescribeConfigurationRecorderStatus",
	  "{\"ConfigurationRecorderNames\": [\"${id}\"]}",
	  "ConfigurationRecordersStatus[0]", NULL, 0 },
};

/*
 * The credential report: GenerateCredentialReport (the list call) starts
 * it; until it is ready its Report is null and it is fetched again soon.
 */
static const struct collect_enrich report_enrich[] = {
	{ "Report", "GetCredentialReport", NULL, NULL,
	  "ReportInProgress,ReportNotPresent", ENRICH_CSV | ENRICH_LATER },
};

static const struct collect_enrich policy_enrich[] = {
	{ "Document", "GetPolicyVersion", "{\"PolicyArn\": \"${id}\", "
	  "\"VersionId\": \"${doc:DefaultVersionId}\"}",
	  "PolicyVersion.Document", NULL, 0 },
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
	{ "AWS::IAM::CredentialReport", "iam", COLLECT_GLOBAL,
	  "GenerateCredentialReport", NULL, NULL, NULL, NULL, NULL,
	  NULL, NULL, NULL, NULL, NULL, E(report_enrich) },
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
	{ "AWS::IAM::ManagedPolicy", "iam", COLLECT_GLOBAL,
	  "ListPolicies", "{\"Scope\": \"Local\"}", "Policies", "Arn", "Arn",
	  "PolicyName", NULL, NULL, NULL, "NoSuchEntity", NULL,
	  E(policy_enrich) },
	{ "AWS::Lambda::Function", "lambda", COLLECT_REGIONAL,
	  "ListFunctions", NULL, "Functions", "FunctionName", "FunctionArn",
	  "FunctionName", NULL, NULL, NULL, "ResourceNotFoundException", NULL,
	  E(lambda_enrich) },
	{ "AWS::ECR::Repository", "ecr", COLLECT_REGIONAL,
	  "DescribeRepositories", NULL, "repositories", "repositoryName",
	  "repositoryArn", "repositoryName",
	  "DescribeRepositories", "{\"repositoryNames\": [\"${id}\"]}",
	  "repositories[0]", "RepositoryNotFoundException", NULL,
	  E(ecr_enrich) },
	{ "AWS::ElasticLoadBalancingV2::LoadBalancer", "elbv2",
	  COLLECT_REGIONAL,
	  "DescribeLoadBalancers", NULL, "LoadBalancers", "LoadBalancerArn",
	  "LoadBalancerArn", "LoadBalancerName",
	  "DescribeLoadBalancers", "{\"LoadBalancerArns\": [\"${id}\"]}",
	  "LoadBalancers[0]", "LoadBalancerNotFound", NULL, E(elbv2_enrich) },
	{ "AWS::OpenSearchService::Domain", "opensearch", COLLECT_REGIONAL,
	  "ListDomainNames", "{\"EngineType\": \"OpenSearch\"}",
	  "DomainNames[*].DomainName", "DomainName", "ARN", "DomainName",
	  "DescribeDomains", "{\"DomainNames\": [\"${id}\"]}",
	  "DomainStatusList[0]", "ResourceNotFoundException", NULL, NULL, 0,
	  "AccessPolicies" },
	{ "AWS::Elasticsearch::Domain", "es", COLLECT_REGIONAL,
	  "ListDomainNames", "{\"EngineType\": \"Elasticsearch\"}",
	  "DomainNames[*].DomainName", "DomainName", "ARN", "DomainName",
	  "DescribeElasticsearchDomains", "{\"DomainNames\": [\"${id}\"]}",
	  "DomainStatusList[0]", "ResourceNotFoundException", NULL, NULL, 0,
	  "AccessPolicies" },
	{ "AWS::EKS::Cluster", "eks", COLLECT_REGIONAL,
	  "ListClusters", NULL, "clusters", "name", "arn", "name",
	  "DescribeCluster", "{\"name\": \"${id}\"}", "cluster",
	  "ResourceNotFoundException", NULL, NULL, 0 },
	{ "AWS::SNS::Topic", "sns", COLLECT_REGIONAL,
	  "ListTopics", NULL, "Topics", "TopicArn", "TopicArn", NULL,
	  NULL, NULL, NULL, "NotFound", NULL, E(topic_enrich),
	  "Attributes.Policy" },
	{ "AWS::SQS::Queue", "sqs", COLLECT_REGIONAL,
	  "ListQueues", NULL, "QueueUrls", "QueueUrl", "Attributes.QueueArn",
	  NULL, "GetQueueAttributes",
	  "{\"QueueUrl\": \"${id}\", \"AttributeNames\": [\"All\"]}", NULL,
	  "AWS.SimpleQueueService.NonExistentQueue,QueueDoesNotExist", NULL,
	  NULL, 0, "Attributes.Policy" },
	{ "AWS::Config::ConfigurationRecorder", "config", COLLECT_REGIONAL,
	  "DescribeConfigurationRecorders", NULL, "ConfigurationRecorders",
	  "name", "arn:${partition}:config:${region}:${account}:"
	  "config-recorder/${id}", "name", NULL, NULL, NULL,
	  "NoSuchConfigurationRecorderException", NULL, E(recorder_enrich) },
	{ "AWS::AccessAnalyzer::Analyzer", "accessanalyzer", COLLECT_REGIONAL,
	  "ListAnalyzers", NULL, "analyzers", "name", "arn", "name",
	  NULL, NULL, NULL, "ResourceNotFoundException", NULL, NULL, 0 },
	{ "AWS::SecurityHub::Hub", "securityhub", COLLECT_REGIONAL,
	  "DescribeHub", NULL, NULL, NULL, "HubArn", NULL, NULL, NULL, NULL,
	  NULL,
	  "InvalidAccessException,ResourceNotFoundException", NULL, 0 },
	{ "AWS::GuardDuty::Detector", "guardduty", COLLECT_REGIONAL,
	  "ListDetectors", NULL, "DetectorIds", "DetectorId",
	  "arn:${partition}:guardduty:${region}:${account}:detector/${id}",
	  NULL, "GetDetector", "{\"DetectorId\": \"${id}\"}", NULL,
	  "BadRequestException", NULL, NULL, 0 },
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

/*
 * vigild -T: the asset types, one a line: type, scope, the calls that make
 * the document, and the enrichment keys it carries beyond the describe
 * call's answer.
 */
void
collect_types_print(FILE *f)
{
	const struct collect_type	*ct;
	const char			*sep;
	size_t				 i, j;

	for (i = 0; i < collect_aws_ntypes; i++) {
		ct = &collect_aws_types[i];
		fprintf(f, "%s\t%s\t%s %s", ct->type,
		    ct->scope == COLLECT_GLOBAL ? "global" : "regional",
		    ct->service, ct->list_op);
		if (ct->get_op != NULL && strcmp(ct->get_op, ct->list_op) != 0)
			fprintf(f, ", %s", ct->get_op);
		fputc('\t', f);
		sep = "";
		for (j = 0; j < ct->nenrich; j++) {
			if (ct->enrich[j].flags & ENRICH_REGION)
				continue;
			if (ct->enrich[j].flags & ENRICH_PER_ITEM)
				fprintf(f, "%s%s.%s", sep, ct->enrich[j].each,
				    ct->enrich[j].key);
			else
				fprintf(f, "%s%s", sep, ct->enrich[j].key);
			sep = " ";
		}
		if (ct->policy != NULL)
			fprintf(f, "%sPolicy", sep);
		fputc('\n', f);
	}
}
