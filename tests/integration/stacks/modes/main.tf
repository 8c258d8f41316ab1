# Test stack: the module in one delivery mode, with a processor that fails for keys containing
# "poison", short retries, and the mode's queue for failed events. Used by tests/integration/
# test_delivery.py (basic flow, burst and poison per mode).

terraform {
  required_version = ">= 1.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.76.0"
    }
  }
}

variable "name" {
  type        = string
  description = "Unique name of this test deployment."
}

variable "package_file" {
  type        = string
  description = "The handler zip with poison_processor.py added."
}

variable "delivery" {
  type        = string
  description = "direct, sqs or eventbridge."
  default     = "direct"
}

resource "aws_sns_topic" "alarms" {
  name = "${var.name}-alarms"
}

module "uploads" {
  source = "../../../.."

  name         = var.name
  bucket_name  = var.name
  package_file = var.package_file
  delivery     = var.delivery
  timeout      = 3

  notifications = {
    burst = {
      filter_prefix = "in/"
      filter_suffix = ".dat"
    }
  }

  environment_variables = {
    S3_EVENT_PROCESSOR = "poison_processor:process"
  }

  maximum_retry_attempts       = 1
  maximum_event_age_in_seconds = 300
  force_destroy                = true

  alarm_actions = [aws_sns_topic.alarms.arn]

  # sqs: a poison message is tried twice, then moved to the DLQ (visibility 6 x timeout).
  queue_max_receive_count          = 2
  queue_visibility_timeout_seconds = 18
  # eventbridge: give up delivering quickly (the emulators do not fail deliveries anyway).
  eventbridge_maximum_retry_attempts = 2
}

output "bucket_name" {
  value       = module.uploads.bucket_name
  description = "The bucket."
}

output "log_group_name" {
  value       = module.uploads.log_group_name
  description = "The function's log group."
}

output "dlq_url" {
  value       = module.uploads.dlq_url
  description = "The on-failure queue."
}

output "queue_url" {
  value       = module.uploads.queue_url
  description = "delivery = sqs: the queue S3 sends to."
}

output "alarm_arns" {
  value       = module.uploads.alarm_arns
  description = "The alarms, by key."
}

output "function_name" {
  value       = module.uploads.function_name
  description = "The function."
}
