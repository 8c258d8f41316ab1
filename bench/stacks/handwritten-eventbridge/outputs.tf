output "bucket_name" {
  description = "Upload objects here under incoming/ with the suffix .csv."
  value       = aws_s3_bucket.this.id
}

output "function_name" {
  description = "The function the uploads invoke."
  value       = aws_lambda_function.this.function_name
}

output "log_group_name" {
  description = "Where the handler's log lines go."
  value       = aws_cloudwatch_log_group.this.name
}
