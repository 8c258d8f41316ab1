# S3 -> SQS -> Lambda: the bucket's events are buffered in an encrypted queue; the function gets
# them in batches, at most 5 invocations at a time (a ceiling that protects what it writes to);
# a message that fails 3 times moves to the DLQ. Build the code first with `make package`.

terraform {
  required_version = ">= 1.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.76.0"
    }
  }
}

provider "aws" {
  region = var.region
}

data "aws_caller_identity" "current" {}

module "buffered" {
  source = "../.."

  name         = var.name
  bucket_name  = coalesce(var.bucket_name, "${var.name}-${data.aws_caller_identity.current.account_id}-${var.region}")
  package_file = coalesce(var.package_file, "${path.module}/../../build/handler.zip")

  delivery                      = "sqs"
  queue_batch_size              = 10
  queue_batching_window_seconds = 1
  queue_maximum_concurrency     = 5
  queue_max_receive_count       = 3

  notifications = {
    orders = {
      filter_prefix = "orders/"
      filter_suffix = ".json"
    }
  }

  alarm_actions = var.alarm_topic_arn == null ? [] : [var.alarm_topic_arn]

  # An example should destroy cleanly even after uploads; keep the default (false) for real data.
  force_destroy = true
}
