output "bucket_name" {
  description = "Upload objects here under orders/ with the suffix .json."
  value       = module.buffered.bucket_name
}

output "function_name" {
  description = "The function the queue invokes."
  value       = module.buffered.function_name
}

output "log_group_name" {
  description = "Where the handler's log lines go."
  value       = module.buffered.log_group_name
}

output "queue_url" {
  description = "The queue S3 sends the events to."
  value       = module.buffered.queue_url
}

output "dlq_url" {
  description = "Messages that failed queue_max_receive_count times."
  value       = module.buffered.dlq_url
}

output "alarm_arns" {
  description = "The alarms, when alarm_topic_arn is set."
  value       = module.buffered.alarm_arns
}
