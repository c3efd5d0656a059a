variable "vigild_account_id" {
  description = "Account where vigild runs and where the central module is applied (e.g. \"111111111111\")."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.vigild_account_id))
    error_message = "vigild_account_id must be a 12-digit AWS account id, as a string."
  }
}

variable "central_region" {
  description = "Region of the central module; events are forwarded to that region's default event bus."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.central_region))
    error_message = "central_region must be a region name such as eu-west-1."
  }
}

variable "vigild_role_arn" {
  description = <<-EOT
    Optional ARN of the role that runs vigild, in vigild_account_id. When set,
    only that role may assume the audit role (aws:PrincipalArn condition); when
    null, any principal of vigild_account_id that its own IAM policies allow to
    (the vigild policy of the central module does).
  EOT
  type        = string
  default     = null

  validation {
    condition     = var.vigild_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.vigild_role_arn))
    error_message = "vigild_role_arn must be null or an IAM role ARN."
  }
}

variable "audit_role_name" {
  description = "Name of the read-only audit role (role_arn in vigild.yaml)."
  type        = string
  default     = "VigilAudit"
}

variable "external_id" {
  description = <<-EOT
    Shared secret that vigild presents when assuming the audit role (the
    content of external_id_file in vigild.yaml); generate it with
    "openssl rand -hex 32". Only needed where create_audit_role is true.
    Terraform keeps it in its state: protect the state accordingly.
  EOT
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition = var.external_id == null || try(
      length(var.external_id) >= 16 && length(var.external_id) <= 1224 &&
      can(regex("^[A-Za-z0-9+=,.@:/_-]+$", var.external_id)),
      false
    )
    error_message = "external_id must be 16 to 1224 characters from A-Z a-z 0-9 and + = , . @ : / _ -"
  }
}

variable "create_audit_role" {
  description = <<-EOT
    Create the audit role. IAM roles are global: set it to true in exactly one
    instance of this module per account (the CloudFormation template does this
    in AuditRoleRegion, us-east-1 by default) and false in the others.
  EOT
  type        = bool
  default     = true
}

variable "create_forwarding_rule" {
  description = <<-EOT
    Create the rule that forwards this region's events to the central bus.
    Set it to false in the vigild account's central_region, where the events
    are already on the central bus (the CloudFormation template does this by
    itself).
  EOT
  type        = bool
  default     = true
}

variable "forward_rule_name" {
  description = "Name of the forwarding rule on this region's default event bus."
  type        = string
  default     = "vigil-forward"
}

variable "detail_types" {
  description = "Event detail-types to forward; keep it the same as detail_types of the central module."
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

variable "tags" {
  description = "Tags added to every taggable resource."
  type        = map(string)
  default     = {}
}
