output "bucket_name" {
  description = "The existing bucket the function is attached to."
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
