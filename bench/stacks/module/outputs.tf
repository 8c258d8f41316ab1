output "bucket_name" {
  description = "Upload objects here under incoming/ with the suffix .csv."
  value       = module.uploads.bucket_name
}

output "function_name" {
  description = "The function the uploads invoke."
  value       = module.uploads.function_name
}

output "log_group_name" {
  description = "Where the handler's log lines go."
  value       = module.uploads.log_group_name
}

output "dlq_url" {
  description = "Where failed events end (on-failure queue, or the sqs DLQ)."
  value       = module.uploads.dlq_url
}
