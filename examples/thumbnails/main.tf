# A real processor with a binary dependency: a thumbnail of every JPEG or PNG uploaded under
# uploads/, written under thumbnails/ (which no rule listens to, so it never loops).
#
# Build the zip first (the handler, thumbnails/ and Pillow's wheels for the runtime and
# architecture, no Docker), from this directory:
#   s3-lambda-trigger package --source thumbnails -r requirements.txt \
#     --runtime python3.13 --architecture x86_64 --output build/function.zip

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

module "thumbnails" {
  source = "../.."

  name         = var.name
  bucket_name  = coalesce(var.bucket_name, "${var.name}-${data.aws_caller_identity.current.account_id}-${var.region}")
  package_file = coalesce(var.package_file, "${path.module}/build/function.zip")
  runtime      = "python3.13"
  architecture = var.architecture
  memory_size  = 512 # Pillow decodes whole images in memory

  notifications = {
    jpg = { filter_prefix = "uploads/", filter_suffix = ".jpg" }
    png = { filter_prefix = "uploads/", filter_suffix = ".png" }
  }
  output_prefix = "thumbnails/"

  environment_variables = {
    S3_EVENT_PROCESSOR = "thumbnails:process"
  }

  maximum_retry_attempts = var.maximum_retry_attempts
  force_destroy          = var.force_destroy
}
