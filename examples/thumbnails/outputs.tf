output "bucket_name" {
  description = "Upload .jpg and .png files here under uploads/; thumbnails appear under thumbnails/."
  value       = module.thumbnails.bucket_name
}

output "function_name" {
  description = "The function that makes the thumbnails."
  value       = module.thumbnails.function_name
}

output "log_group_name" {
  description = "Where the processor's log lines (thumbnail_written, processor_failed) go."
  value       = module.thumbnails.log_group_name
}

output "dlq_url" {
  description = "On-failure queue: images that could not be processed, with their S3 event."
  value       = module.thumbnails.dlq_url
}
