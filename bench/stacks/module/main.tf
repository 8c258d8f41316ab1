# The module in one delivery mode, for bench/e2e.py and bench/deploy.py: examples/basic's
# configuration (one rule, incoming/*.csv, the module's defaults otherwise) with `delivery`
# passed through and the bucket named after `name` (no account-id lookup), so it compares like
# for like with bench/stacks/handwritten-<delivery>.

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

module "uploads" {
  source = "../../.."

  name         = var.name
  bucket_name  = var.name
  package_file = var.package_file
  delivery     = var.delivery

  create_failure_queue = var.create_failure_queue

  notifications = {
    csv_uploads = {
      events        = ["s3:ObjectCreated:*"]
      filter_prefix = "incoming/"
      filter_suffix = ".csv"
    }
  }

  force_destroy = true
}
