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
  description = "ID of the bucket's notification configuration (the bucket name)."
  value       = aws_s3_bucket_notification.this.id
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
  description = "ARN of the module's on-failure SQS queue; null when it was not created."
  value       = try(aws_sqs_queue.failures[0].arn, null)
}

output "dlq_url" {
  description = "URL of the module's on-failure SQS queue; null when it was not created."
  value       = try(aws_sqs_queue.failures[0].url, null)
}

output "package_hash" {
  description = "Base64 SHA-256 of the deployed zip (the function's source_code_hash)."
  value       = aws_lambda_function.this.source_code_hash
}
