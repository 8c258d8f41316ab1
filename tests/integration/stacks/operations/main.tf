# Test stack for backfill and redrive: the module with a processor that fails for keys that
# contain one of the markers in FAIL_MARKERS (changed by the tests through the Lambda API, the
# "fix"), no async retries, and the module's on-failure queue. Objects under other prefixes
# than live/ trigger nothing: the backfill tests put them there and send them with --prefix.

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
  description = "The function zip: handler + ops_processor.py (s3-lambda-trigger package)."
}

variable "fail_markers" {
  type        = string
  default     = "poison"
  description = "Comma-separated key fragments the processor fails on."
}

module "uploads" {
  source = "../../../.."

  name         = var.name
  bucket_name  = var.name
  package_file = var.package_file

  notifications = {
    live = {
      filter_prefix = "live/"
    }
  }

  environment_variables = {
    S3_EVENT_PROCESSOR = "ops_processor:process"
    FAIL_MARKERS       = var.fail_markers
  }

  maximum_retry_attempts       = 0
  maximum_event_age_in_seconds = 300
  force_destroy                = true
}

output "bucket_name" {
  value       = module.uploads.bucket_name
  description = "The bucket."
}

output "function_name" {
  value       = module.uploads.function_name
  description = "The function."
}

output "function_arn" {
  value       = module.uploads.function_arn
  description = "The function's ARN."
}

output "notification_rules" {
  value       = module.uploads.notification_rules
  description = "The rules, for backfill --terraform-dir."
}

output "log_group_name" {
  value       = module.uploads.log_group_name
  description = "The function's log group."
}

output "dlq_url" {
  value       = module.uploads.dlq_url
  description = "The on-failure queue, for redrive --terraform-dir."
}
