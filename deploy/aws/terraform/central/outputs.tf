locals {
  # The region is the fourth field of the queue ARN (arn:PARTITION:sqs:REGION:...).
  region = split(":", aws_sqs_queue.events.arn)[3]
}

output "queue_url" {
  description = "URL of the queue vigild long-polls (queue_url in vigild.yaml)."
  value       = aws_sqs_queue.events.url
}

output "queue_arn" {
  description = "ARN of the events queue."
  value       = aws_sqs_queue.events.arn
}

output "dead_letter_queue_url" {
  description = "URL of the dead-letter queue (watch ApproximateNumberOfMessages; it should stay at 0)."
  value       = aws_sqs_queue.dlq.url
}

output "dead_letter_queue_arn" {
  description = "ARN of the dead-letter queue."
  value       = aws_sqs_queue.dlq.arn
}

output "rule_arn" {
  description = "ARN of the EventBridge rule."
  value       = aws_cloudwatch_event_rule.events.arn
}

output "event_bus_arn" {
  description = "ARN of this account's default event bus, where the member module forwards events."
  value       = data.aws_cloudwatch_event_bus.default.arn
}

output "vigild_policy_arn" {
  description = "Managed policy to attach to the role that runs vigild."
  value       = aws_iam_policy.vigild.arn
}

output "vigild_yaml" {
  description = "Feed entry for /etc/vigil/vigild.yaml."
  value       = <<-EOT
    feeds:
      - name: ${var.feed_name}
        type: aws-sqs
        queue_url: ${aws_sqs_queue.events.url}
        region: ${local.region}
  EOT
}
