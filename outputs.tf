output "bucket_name" {
  description = "Name of the bucket whose events invoke the function."
  value       = local.bucket_id
}

output "bucket_arn" {
  description = "ARN of the bucket."
  value       = local.bucket_arn
}

output "function_name" {
  description = "Name of the module's Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the module's Lambda function."
  value       = aws_lambda_function.this.arn
}

output "function_invoke_arn" {
  description = "Invoke ARN of the function, for API Gateway and other integrations."
  value       = aws_lambda_function.this.invoke_arn
}

output "role_arn" {
  description = "ARN of the function's IAM role."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the function's IAM role, to attach more policies to."
  value       = aws_iam_role.this.name
}

output "log_group_name" {
  description = "Name of the function's CloudWatch log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_group_arn" {
  description = "ARN of the function's CloudWatch log group."
  value       = aws_cloudwatch_log_group.this.arn
}

output "notification_id" {
  description = "ID of the bucket's notification configuration (the bucket name); null with manage_bucket_notification = false."
  value       = try(aws_s3_bucket_notification.this[0].id, null)
}

output "notification_rules" {
  description = "The notification rules as applied: rule name => events, filter_prefix, filter_suffix and the invoked function ARN."
  value = {
    for k, r in var.notifications : k => {
      events        = r.events
      filter_prefix = r.filter_prefix
      filter_suffix = r.filter_suffix
      function_arn  = coalesce(r.function_arn, aws_lambda_function.this.arn)
    }
  }
}

output "permission_statement_ids" {
  description = "Statement ids of the lambda:InvokeFunction permissions granted to s3.amazonaws.com, by target key."
  value       = { for k, p in aws_lambda_permission.s3 : k => p.statement_id }
}

output "failure_destination_arn" {
  description = "Where failed events go (the module's queue or failure_destination_arn); null when none."
  value       = local.failure_destination_arn
}

output "dlq_arn" {
  description = "ARN of the queue where events that failed in the function end: the on-failure queue (direct, eventbridge) or the delivery queue's DLQ (sqs); null when none was created."
  value       = local.sqs ? aws_sqs_queue.delivery_dlq[0].arn : try(aws_sqs_queue.failures[0].arn, null)
}

output "dlq_url" {
  description = "URL of the queue where events that failed in the function end (see dlq_arn); `s3-lambda-trigger redrive` reads it."
  value       = local.sqs ? aws_sqs_queue.delivery_dlq[0].url : try(aws_sqs_queue.failures[0].url, null)
}

output "delivery" {
  description = "How events reach the function: direct, sqs or eventbridge."
  value       = var.delivery
}

output "queue_arn" {
  description = "delivery = sqs: ARN of the queue S3 sends events to; null otherwise."
  value       = try(aws_sqs_queue.delivery[0].arn, null)
}

output "queue_url" {
  description = "delivery = sqs: URL of the queue S3 sends events to (backfill sends there); null otherwise."
  value       = try(aws_sqs_queue.delivery[0].url, null)
}

output "event_source_mapping_uuid" {
  description = "delivery = sqs: UUID of the event source mapping (to pause it: aws lambda update-event-source-mapping --no-enabled); null otherwise."
  value       = try(aws_lambda_event_source_mapping.sqs[0].uuid, null)
}

output "eventbridge_rule_arns" {
  description = "delivery = eventbridge: ARNs of the EventBridge rules, by \"<rule>/<event>\"; empty otherwise."
  value       = { for k, r in aws_cloudwatch_event_rule.this : k => r.arn }
}

output "eventbridge_dlq_url" {
  description = "delivery = eventbridge: URL of the queue for events EventBridge could not deliver; null otherwise."
  value       = try(aws_sqs_queue.eventbridge_dlq[0].url, null)
}

output "alarm_arns" {
  description = "ARNs of the CloudWatch alarms, by name (errors, throttles, <queue>_not_empty, queue_oldest_message_age); empty without alarm_actions."
  value       = { for k, a in aws_cloudwatch_metric_alarm.this : k => a.arn }
}

output "package_hash" {
  description = "Base64 SHA-256 of the deployed zip (the function's source_code_hash)."
  value       = aws_lambda_function.this.source_code_hash
}

################################################################################
# Operations: backfill and S3 Batch Operations
################################################################################

output "batch_operations_role_arn" {
  description = "ARN of the IAM role for S3 Batch Operations jobs (`s3-lambda-trigger backfill --batch-operations` reads it); null unless create_batch_operations_role."
  value       = try(aws_iam_role.batch_operations[0].arn, null)
}

output "batch_operations_report_bucket" {
  description = "Bucket of S3 Batch Operations reports and CSV manifests; null unless create_batch_operations_role."
  value       = var.create_batch_operations_role ? local.batch_operations_report_bucket : null
}

output "batch_operations_report_prefix" {
  description = "Key prefix of S3 Batch Operations reports and CSV manifests; null unless create_batch_operations_role."
  value       = var.create_batch_operations_role ? var.batch_operations_report_prefix : null
}
