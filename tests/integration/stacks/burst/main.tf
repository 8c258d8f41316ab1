# Test stack: the module with a processor that fails for keys containing "poison", short
# retries, and the module's on-failure queue. Used by the burst and poison tests.

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

module "uploads" {
  source = "../../../.."

  name         = var.name
  bucket_name  = var.name
  package_file = var.package_file

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
