# Test stack: one consumer of an existing bucket through EventBridge, leaving the bucket's
# notification configuration alone. tests/integration/test_consumers.py applies two copies of it
# (two independent states) on one bucket.

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
  description = "Unique name of this consumer."
}

variable "bucket_name" {
  type        = string
  description = "The shared bucket (EventBridge already on)."
}

variable "package_file" {
  type        = string
  description = "The handler zip."
}

module "consumer" {
  source = "../../../.."

  name                       = var.name
  bucket_name                = var.bucket_name
  create_bucket              = false
  manage_bucket_notification = false
  delivery                   = "eventbridge"
  package_file               = var.package_file

  notifications = {
    shared = { filter_prefix = "shared/" }
  }
}

output "function_name" {
  value       = module.consumer.function_name
  description = "The consumer's function."
}

output "log_group_name" {
  value       = module.consumer.log_group_name
  description = "The consumer's log group."
}
