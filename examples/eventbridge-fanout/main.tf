# Two independent consumers on one bucket through EventBridge. The bucket (made here, as it would
# be by another team's stack) turns EventBridge on once; each module instance leaves the bucket's
# notification configuration alone (manage_bucket_notification = false) and attaches its own
# EventBridge rules, so neither overwrites the other, and more can be added from other stacks.
# Build the code first with `make package`.

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

locals {
  bucket_name  = coalesce(var.bucket_name, "${var.name}-${data.aws_caller_identity.current.account_id}-${var.region}")
  package_file = coalesce(var.package_file, "${path.module}/../../build/handler.zip")
}

# --- the shared bucket, with EventBridge on (normally another stack's) ----------------------

resource "aws_s3_bucket" "shared" {
  bucket        = local.bucket_name
  force_destroy = true # an example; keep false for real data
}

resource "aws_s3_bucket_notification" "eventbridge" {
  bucket      = aws_s3_bucket.shared.id
  eventbridge = true
}

# --- consumer 1: every new image -------------------------------------------------------------

module "images" {
  source = "../.."

  name                       = "${var.name}-images"
  bucket_name                = aws_s3_bucket.shared.id
  create_bucket              = false
  manage_bucket_notification = false
  delivery                   = "eventbridge"
  package_file               = local.package_file

  notifications = {
    jpg = { filter_prefix = "media/", filter_suffix = ".jpg" }
  }
}

# --- consumer 2: every object under media/ of at least 1 KiB, overlapping consumer 1 ---------

module "audit" {
  source = "../.."

  name                       = "${var.name}-audit"
  bucket_name                = aws_s3_bucket.shared.id
  create_bucket              = false
  manage_bucket_notification = false
  delivery                   = "eventbridge"
  package_file               = local.package_file

  notifications = {
    media = {
      events          = ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
      filter_prefix   = "media/"
      filter_min_size = 1024
    }
  }
}
