output "bucket_name" {
  description = "Upload images/*.jpg and documents/*.pdf here."
  value       = module.uploads.bucket_name
}

output "function_name" {
  description = "The module's function (images)."
  value       = module.uploads.function_name
}

output "log_group_name" {
  description = "Log group of the module's function."
  value       = module.uploads.log_group_name
}

output "documents_function_name" {
  description = "The second function (documents)."
  value       = aws_lambda_function.documents.function_name
}

output "documents_log_group_name" {
  description = "Log group of the second function."
  value       = aws_cloudwatch_log_group.documents.name
}

output "permission_statement_ids" {
  description = "One permission per invoked function."
  value       = module.uploads.permission_statement_ids
}
