# Test stack: every function and bucket option of the module switched on at once, with the
# processor shipped in a layer (so the test proves the layer is on the import path).

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
  description = "The handler zip."
}

variable "layer_file" {
  type        = string
  description = "Zip of a layer holding python/layer_processor.py."
}

resource "aws_kms_key" "uploads" {
  description             = "${var.name} bucket and queue encryption"
  deletion_window_in_days = 7
  enable_key_rotation     = true
}

resource "aws_lambda_layer_version" "processor" {
  layer_name          = "${var.name}-processor"
  filename            = var.layer_file
  source_code_hash    = filebase64sha256(var.layer_file)
  compatible_runtimes = ["python3.12"]
}

module "uploads" {
  source = "../../../.."

  name         = var.name
  bucket_name  = var.name
  package_file = var.package_file
  runtime      = "python3.12"

  notifications = {
    uploads = {
      events        = ["s3:ObjectCreated:Put", "s3:ObjectCreated:CompleteMultipartUpload"]
      filter_prefix = "uploads/"
    }
  }
  output_prefix = "processed/"

  kms_key_arn                    = aws_kms_key.uploads.arn
  versioning                     = true
  memory_size                    = 256
  timeout                        = 60
  architecture                   = "arm64"
  reserved_concurrent_executions = 5
  tracing_mode                   = "Active"
  log_format                     = "JSON"
  log_retention_in_days          = 7
  layers                         = [aws_lambda_layer_version.processor.arn]
  environment_variables = {
    S3_EVENT_PROCESSOR = "layer_processor:process"
    LOG_LEVEL          = "DEBUG"
  }
  attach_extra_policy = true
  extra_policy_json = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:GetObjectTagging"], Resource = ["arn:aws:s3:::${var.name}/uploads/*"] }]
  })
  maximum_retry_attempts       = 0
  maximum_event_age_in_seconds = 60
  tags                         = { Project = "s3-lambda-trigger", Test = "options" }
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

output "log_group_name" {
  value       = module.uploads.log_group_name
  description = "The function's log group."
}

output "package_hash" {
  value       = module.uploads.package_hash
  description = "Deployed zip hash."
}
