variable "queue_name" {
  description = "Name of the queue vigild long-polls. The dead-letter queue is named <queue_name>-dlq."
  type        = string
  default     = "vigil-events"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,76}$", var.queue_name))
    error_message = "queue_name must be 1 to 76 letters, digits, hyphens or underscores (the DLQ adds \"-dlq\")."
  }
}

variable "message_retention_seconds" {
  description = "Seconds a message stays in the queue if vigild does not consume it (default 4 days)."
  type        = number
  default     = 345600

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600
    error_message = "message_retention_seconds must be between 60 and 1209600 (14 days)."
  }
}

variable "visibility_timeout_seconds" {
  description = "Seconds a received message stays invisible before SQS hands it out again; vigild extends it when work runs long."
  type        = number
  default     = 120

  validation {
    condition     = var.visibility_timeout_seconds >= 0 && var.visibility_timeout_seconds <= 43200
    error_message = "visibility_timeout_seconds must be between 0 and 43200 (12 hours)."
  }
}

variable "max_receive_count" {
  description = "Receives after which SQS moves a message that was never deleted to the dead-letter queue."
  type        = number
  default     = 5

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000
    error_message = "max_receive_count must be between 1 and 1000."
  }
}

variable "kms_key_arn" {
  description = <<-EOT
    Optional customer managed KMS key ARN for both queues. null (default) uses
    SQS-managed server-side encryption (SSE-SQS). If set, the key policy must
    allow events.amazonaws.com kms:GenerateDataKey and kms:Decrypt (see README).
  EOT
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID; not an alias)."
  }
}

variable "rule_name" {
  description = "Name of the EventBridge rule on the default event bus."
  type        = string
  default     = "vigil-events"
}

variable "detail_types" {
  description = <<-EOT
    Event detail-types to deliver. Add to the list to deliver more (e.g. "AWS
    Service Event via CloudTrail"); the source is always restricted to aws.*.
    The console sign-in type is listed in both spellings AWS uses.
  EOT
  type        = list(string)
  default = [
    "AWS API Call via CloudTrail",
    "AWS Console Sign In via CloudTrail",
    "AWS Console Signin via CloudTrail",
    "Config Configuration Item Change",
  ]

  validation {
    condition     = length(var.detail_types) > 0
    error_message = "detail_types must not be empty."
  }
}

variable "organization_id" {
  description = <<-EOT
    AWS Organizations id (o-...). If set, a statement is added to this
    account's default event-bus policy letting every account of the
    organisation (aws:PrincipalOrgID) put events here, so that the member
    accounts' forwarding rules work. null for a single account.
  EOT
  type        = string
  default     = null

  validation {
    condition     = var.organization_id == null || can(regex("^o-[a-z0-9]{10,32}$", var.organization_id))
    error_message = "organization_id must be null or an AWS Organizations id such as o-abcd123456."
  }
}

variable "audit_role_name" {
  description = "Name of the read-only role in each member account (the member module) that vigild may assume."
  type        = string
  default     = "VigilAudit"
}

variable "vigild_role_names" {
  description = "Names of existing IAM roles that run vigild (EC2 instance profile role, IRSA / EKS Pod Identity role, ECS task role) to attach the vigild policy to."
  type        = list(string)
  default     = []
}

variable "feed_name" {
  description = "Feed name used in the vigild.yaml snippet output."
  type        = string
  default     = "org-events"
}

variable "tags" {
  description = "Tags added to every taggable resource."
  type        = map(string)
  default     = {}
}
