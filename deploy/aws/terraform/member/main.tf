# vigil member module: the read-only audit role that vigild assumes
# (SecurityAudit + ViewOnlyAccess, ExternalId required, 1 hour sessions) and an
# EventBridge rule that forwards this region's AWS change events (sources aws.*
# only) to the default event bus of the account where vigild runs. Instantiate
# it once per account and region in use (including us-east-1, where IAM, STS
# and other global services report), with create_audit_role = true in exactly
# one of an account's instances. Mirrors ../../vigil-member.yaml.

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

locals {
  partition       = data.aws_partition.current.partition
  account_id      = data.aws_caller_identity.current.account_id
  central_bus_arn = "arn:${local.partition}:events:${var.central_region}:${var.vigild_account_id}:event-bus/default"
  tags            = merge({ app = "vigil" }, var.tags)

  audit_policy_arns = toset([
    "arn:${local.partition}:iam::aws:policy/SecurityAudit",
    "arn:${local.partition}:iam::aws:policy/job-function/ViewOnlyAccess",
  ])
}

# -------------------------------------------------------------- audit role --

# The principal is the vigild account; a role ARN is checked with
# aws:PrincipalArn rather than named as the principal, so the trust keeps
# working if that role is deleted and re-created.
data "aws_iam_policy_document" "audit_trust" {
  count = var.create_audit_role ? 1 : 0

  statement {
    sid     = "VigildAssumeRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${var.vigild_account_id}:root"]
    }

    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [var.external_id]
    }

    dynamic "condition" {
      for_each = var.vigild_role_arn == null ? [] : [var.vigild_role_arn]

      content {
        test     = "ArnEquals"
        variable = "aws:PrincipalArn"
        values   = [condition.value]
      }
    }
  }

  lifecycle {
    precondition {
      condition     = var.external_id != null
      error_message = "external_id is required where create_audit_role is true."
    }
  }
}

resource "aws_iam_role" "audit" {
  count = var.create_audit_role ? 1 : 0

  name                 = var.audit_role_name
  description          = "vigil - read-only inventory of this account, assumed by vigild"
  assume_role_policy   = data.aws_iam_policy_document.audit_trust[0].json
  max_session_duration = 3600
  tags                 = local.tags
}

resource "aws_iam_role_policy_attachment" "audit" {
  for_each = var.create_audit_role ? local.audit_policy_arns : toset([])

  role       = aws_iam_role.audit[0].name
  policy_arn = each.value
}

# --------------------------------------------------------- event forwarding --

data "aws_iam_policy_document" "forward_trust" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "forward" {
  statement {
    effect    = "Allow"
    actions   = ["events:PutEvents"]
    resources = [local.central_bus_arn]
  }
}

# One role per region: IAM names are global, so each instance gets its own
# generated name.
resource "aws_iam_role" "forward" {
  count = var.create_forwarding_rule ? 1 : 0

  name_prefix        = "vigil-forward-"
  description        = "vigil - lets the ${var.forward_rule_name} rule put events on the vigil central bus"
  assume_role_policy = data.aws_iam_policy_document.forward_trust.json
  tags               = local.tags
}

resource "aws_iam_role_policy" "forward" {
  count = var.create_forwarding_rule ? 1 : 0

  name   = "put-events-vigil-central-bus"
  role   = aws_iam_role.forward[0].id
  policy = data.aws_iam_policy_document.forward.json
}

resource "aws_cloudwatch_event_rule" "forward" {
  count = var.create_forwarding_rule ? 1 : 0

  name           = var.forward_rule_name
  description    = "vigil - forward AWS change events (sources aws.* only) to the vigil central bus"
  event_bus_name = "default"

  event_pattern = jsonencode({
    source        = [{ prefix = "aws." }]
    "detail-type" = var.detail_types
  })

  tags = local.tags
}

resource "aws_cloudwatch_event_target" "forward" {
  count = var.create_forwarding_rule ? 1 : 0

  rule           = aws_cloudwatch_event_rule.forward[0].name
  event_bus_name = aws_cloudwatch_event_rule.forward[0].event_bus_name
  target_id      = "vigil-central-bus"
  arn            = local.central_bus_arn
  role_arn       = aws_iam_role.forward[0].arn

  # The role must be able to put events before EventBridge uses it.
  depends_on = [aws_iam_role_policy.forward]
}
