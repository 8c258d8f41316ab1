# Attach the function to a bucket made elsewhere (here by a plain resource, standing in for
# another stack). S3 keeps ONE notification configuration per bucket: this module becomes its
# only writer, and destroying the module clears it.

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

# Made elsewhere: the module does not manage this bucket's settings.
resource "aws_s3_bucket" "existing" {
  bucket        = "${var.name}-${data.aws_caller_identity.current.account_id}-${var.region}"
  force_destroy = true
}

module "uploads" {
  source = "../.."

  name          = var.name
  create_bucket = false
  bucket_name   = aws_s3_bucket.existing.bucket
  package_file  = coalesce(var.package_file, "${path.module}/../../build/handler.zip")

  notifications = {
    reports = {
      filter_prefix = "reports/"
      filter_suffix = ".json"
    }
  }
}
