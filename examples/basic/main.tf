# The classic tutorial: a new bucket, one function, every object-create event under a prefix
# with a suffix. Build the code first with `make package` (writes build/handler.zip).

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

module "uploads" {
  source = "../.."

  name         = var.name
  bucket_name  = coalesce(var.bucket_name, "${var.name}-${data.aws_caller_identity.current.account_id}-${var.region}")
  package_file = coalesce(var.package_file, "${path.module}/../../build/handler.zip")

  notifications = {
    csv_uploads = {
      events        = ["s3:ObjectCreated:*"]
      filter_prefix = "incoming/"
      filter_suffix = ".csv"
    }
  }

  # An example should destroy cleanly even after uploads; keep the default (false) for real data.
  force_destroy = true
}
