output "audit_role_arn" {
  description = "role_arn of this account in vigild.yaml (null where create_audit_role is false)."
  value       = var.create_audit_role ? aws_iam_role.audit[0].arn : null
}

output "forward_rule_arn" {
  description = "ARN of the forwarding rule in this region (null where create_forwarding_rule is false)."
  value       = var.create_forwarding_rule ? aws_cloudwatch_event_rule.forward[0].arn : null
}

output "vigild_yaml" {
  description = "Entry for this account under accounts in /etc/vigil/vigild.yaml (null where create_audit_role is false)."
  value = var.create_audit_role ? trimspace(<<-EOT
    accounts:
      - provider: aws
        id: "${local.account_id}"
        role_arn: ${aws_iam_role.audit[0].arn}
        external_id_file: /etc/vigil/secrets/external-id
        regions: all
  EOT
  ) : null
}
