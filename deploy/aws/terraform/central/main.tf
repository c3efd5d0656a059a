# vigil central module: an EventBridge rule on the default event bus that sends
# AWS change events (sources aws.* only) to an SQS queue with a dead-letter
# queue, an optional organisation-wide event-bus permission so that member
# accounts can forward their events here, and the least-privilege IAM policy
# for vigild. Apply once, with a provider for the account and region where
# vigild runs. Mirrors ../../vigil-events.yaml.

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

data "aws_cloudwatch_event_bus" "default" {
  name = "default"
}

locals {
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id
  tags       = merge({ app = "vigil" }, var.tags)

  # SSE-SQS unless a customer managed key is given.
  sse_sqs = var.kms_key_arn == null ? true : null
}

# ------------------------------------------------------------------ queues --

resource "aws_sqs_queue" "dlq" {
  name                      = "${var.queue_name}-dlq"
  message_retention_seconds = 1209600 # 14 days, the SQS maximum
  sqs_managed_sse_enabled   = local.sse_sqs
  kms_master_key_id         = var.kms_key_arn
  tags                      = local.tags
}

resource "aws_sqs_queue" "events" {
  name                       = var.queue_name
  message_retention_seconds  = var.message_retention_seconds
  visibility_timeout_seconds = var.visibility_timeout_seconds
  receive_wait_time_seconds  = 20 # long polling by default
  sqs_managed_sse_enabled    = local.sse_sqs
  kms_master_key_id          = var.kms_key_arn

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = var.max_receive_count
  })

  tags = local.tags
}

# Only the vigil queue may use the dead-letter queue as its DLQ.
resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.events.arn]
  })
}

# Only the vigil rule may send to the queues; nothing may use plain HTTP. The
# dead-letter queue also receives events that EventBridge itself could not
# deliver to the queue (dead_letter_config of the target).
data "aws_iam_policy_document" "queue" {
  for_each = {
    events = aws_sqs_queue.events.arn
    dlq    = aws_sqs_queue.dlq.arn
  }

  statement {
    sid       = "AllowVigilRuleOnly"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [each.value]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.events.arn]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [each.value]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue_policy" "events" {
  queue_url = aws_sqs_queue.events.id
  policy    = data.aws_iam_policy_document.queue["events"].json
}

resource "aws_sqs_queue_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id
  policy    = data.aws_iam_policy_document.queue["dlq"].json
}

# ------------------------------------------------------------- EventBridge --

# Custom events cannot use a source beginning with "aws." (PutEvents refuses
# them), so this pattern only ever matches events emitted by AWS itself, in
# this account or forwarded by a member account.
resource "aws_cloudwatch_event_rule" "events" {
  name           = var.rule_name
  description    = "vigil - AWS change events (sources aws.* only) to the ${var.queue_name} queue"
  event_bus_name = data.aws_cloudwatch_event_bus.default.name

  event_pattern = jsonencode({
    source        = [{ prefix = "aws." }]
    "detail-type" = var.detail_types
  })

  tags = local.tags
}

resource "aws_cloudwatch_event_target" "queue" {
  rule           = aws_cloudwatch_event_rule.events.name
  event_bus_name = aws_cloudwatch_event_rule.events.event_bus_name
  target_id      = "vigil-events-queue"
  arn            = aws_sqs_queue.events.arn

  retry_policy {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = 185
  }

  dead_letter_config {
    arn = aws_sqs_queue.dlq.arn
  }

  # Deliver only once the queues accept the rule's messages.
  depends_on = [aws_sqs_queue_policy.events, aws_sqs_queue_policy.dlq]
}

# Event-bus permissions for the forwarding rules of the member module: this
# account's own rules in other regions, and (organization_id) every account of
# the organisation. aws_cloudwatch_event_permission adds one statement each to
# the bus policy and keeps any other statement already there, like the
# AWS::Events::EventBusPolicy resources of the CloudFormation template;
# aws_cloudwatch_event_bus_policy would replace the whole policy of the shared
# default bus.
resource "aws_cloudwatch_event_permission" "same_account" {
  event_bus_name = data.aws_cloudwatch_event_bus.default.name
  statement_id   = "vigil-same-account"
  principal      = local.account_id
  action         = "events:PutEvents"
}

resource "aws_cloudwatch_event_permission" "organization" {
  count = var.organization_id == null ? 0 : 1

  event_bus_name = data.aws_cloudwatch_event_bus.default.name
  statement_id   = "vigil-organization"
  principal      = "*"
  action         = "events:PutEvents"

  condition {
    key   = "aws:PrincipalOrgID"
    type  = "StringEquals"
    value = var.organization_id
  }
}

# ------------------------------------------------------------------ vigild --

data "aws_iam_policy_document" "vigild" {
  # DeleteMessageBatch and ChangeMessageVisibilityBatch are not IAM actions of
  # their own: SQS authorises them with DeleteMessage and
  # ChangeMessageVisibility, so these four cover every call vigild makes.
  statement {
    sid    = "ConsumeEventsQueue"
    effect = "Allow"
    actions = [
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:ChangeMessageVisibility",
      "sqs:GetQueueAttributes",
    ]
    resources = [aws_sqs_queue.events.arn]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]

    content {
      sid       = "DecryptEventsQueue"
      effect    = "Allow"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }

  statement {
    sid       = "AssumeMemberAuditRole"
    effect    = "Allow"
    actions   = ["sts:AssumeRole"]
    resources = ["arn:${local.partition}:iam::*:role/${var.audit_role_name}"]
  }
}

resource "aws_iam_policy" "vigild" {
  name_prefix = "vigild-${var.queue_name}-"
  description = "vigild - consume the vigil events queue and assume the member accounts' audit role"
  policy      = data.aws_iam_policy_document.vigild.json
  tags        = local.tags
}

resource "aws_iam_role_policy_attachment" "vigild" {
  for_each = toset(var.vigild_role_names)

  role       = each.value
  policy_arn = aws_iam_policy.vigild.arn
}
