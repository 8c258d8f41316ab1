output "bucket_name" {
  description = "The shared bucket: .jpg under media/ reach both consumers, other files of 1 KiB or more under media/ only the audit one."
  value       = aws_s3_bucket.shared.id
}

output "images_log_group_name" {
  description = "Log group of the images consumer."
  value       = module.images.log_group_name
}

output "audit_log_group_name" {
  description = "Log group of the audit consumer."
  value       = module.audit.log_group_name
}

output "eventbridge_rule_arns" {
  description = "The EventBridge rules of both consumers."
  value       = merge(module.images.eventbridge_rule_arns, module.audit.eventbridge_rule_arns)
}
