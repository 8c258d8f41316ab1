# Two rules on one bucket: images go to the module's function, documents to a second function
# defined here (standing in for one made elsewhere). Each target gets its own permission.

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
  package_file = coalesce(var.package_file, "${path.module}/../../build/handler.zip")
}

module "uploads" {
  source = "../.."

  name         = var.name
  bucket_name  = "${var.name}-${data.aws_caller_identity.current.account_id}-${var.region}"
  package_file = local.package_file

  notifications = {
    images = {
      events        = ["s3:ObjectCreated:*"]
      filter_prefix = "images/"
      filter_suffix = ".jpg"
    }
    documents = {
      events        = ["s3:ObjectCreated:Put", "s3:ObjectCreated:CompleteMultipartUpload"]
      filter_prefix = "documents/"
      filter_suffix = ".pdf"
      function_arn  = aws_lambda_function.documents.arn
    }
  }

  force_destroy = true
}

# The second function: its own role, allowed to write only to its own log group.
resource "aws_iam_role" "documents" {
  name = "${var.name}-documents"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_cloudwatch_log_group" "documents" {
  name              = "/aws/lambda/${var.name}-documents"
  retention_in_days = 30
}

resource "aws_iam_role_policy" "documents" {
  name = "logs"
  role = aws_iam_role.documents.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = ["${aws_cloudwatch_log_group.documents.arn}:*"]
    }]
  })
}

resource "aws_lambda_function" "documents" {
  function_name    = "${var.name}-documents"
  role             = aws_iam_role.documents.arn
  runtime          = "python3.13"
  handler          = "handler.app.lambda_handler"
  filename         = local.package_file
  source_code_hash = filebase64sha256(local.package_file)

  depends_on = [aws_iam_role_policy.documents, aws_cloudwatch_log_group.documents]
}
