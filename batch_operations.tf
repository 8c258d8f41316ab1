################################################################################
# S3 Batch Operations: the IAM role that `s3-lambda-trigger backfill --batch-operations` passes
# to CreateJob (behind create_batch_operations_role). Batch Operations assumes it to list the
# bucket (manifest generator), read CSV manifests and write completion reports under the report
# prefix, and invoke the module's function once per object. It does not read the objects: the
# function does, with its own role.
################################################################################

locals {
  batch_operations_role_name = (
    length("${var.name}-batch-ops") <= 64
    ? "${var.name}-batch-ops"
    : "${substr(var.name, 0, 47)}-${substr(sha256(var.name), 0, 16)}"
  )
  batch_operations_report_bucket     = coalesce(var.batch_operations_report_bucket, var.bucket_name)
  batch_operations_report_bucket_arn = "arn:${local.partition}:s3:::${local.batch_operations_report_bucket}"
  batch_operations_reports_arn       = "${local.batch_operations_report_bucket_arn}/${var.batch_operations_report_prefix}*"

  # Rules of the module's function that reports and manifests written into its own bucket would
  # trigger: the prefixes overlap, and the rule's suffix could end a report or manifest name
  # (*.csv, *.json, *.md5) or is empty.
  batch_operations_report_rules = local.batch_operations_report_bucket != var.bucket_name ? [] : [
    for k, r in local.own_rules : k
    if(startswith(var.batch_operations_report_prefix, r.filter_prefix) || startswith(r.filter_prefix, var.batch_operations_report_prefix))
    && anytrue([for name in ["manifest.csv", "manifest.json", "manifest.json.md5"] : endswith(name, r.filter_suffix)])
  ]

  batch_operations_policy = {
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "InvokeFunction"
          Effect   = "Allow"
          Action   = ["lambda:InvokeFunction"]
          Resource = [aws_lambda_function.this.arn, "${aws_lambda_function.this.arn}:*"]
        },
        {
          # The manifest generator lists the bucket; CreateJob checks where the buckets are.
          Sid      = "ListSourceBucket"
          Effect   = "Allow"
          Action   = ["s3:ListBucket", "s3:GetBucketLocation"]
          Resource = [local.bucket_arn]
        },
        {
          # CSV manifests that `backfill --batch-operations --manifest csv` uploads.
          Sid      = "ReadManifests"
          Effect   = "Allow"
          Action   = ["s3:GetObject", "s3:GetObjectVersion"]
          Resource = [local.batch_operations_reports_arn]
        },
        {
          Sid      = "WriteReports"
          Effect   = "Allow"
          Action   = ["s3:PutObject"]
          Resource = [local.batch_operations_reports_arn]
        },
      ],
      local.batch_operations_report_bucket != var.bucket_name ? [
        {
          Sid      = "LocateReportBucket"
          Effect   = "Allow"
          Action   = ["s3:GetBucketLocation"]
          Resource = [local.batch_operations_report_bucket_arn]
        },
      ] : [],
      var.kms_key_arn != null ? [
        {
          Sid      = "UseBucketKey"
          Effect   = "Allow"
          Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
          Resource = [var.kms_key_arn]
        },
      ] : [],
    )
  }
}

resource "aws_iam_role" "batch_operations" {
  count = var.create_batch_operations_role ? 1 : 0

  name        = local.batch_operations_role_name
  description = "S3 Batch Operations jobs that invoke ${var.name} (s3-lambda-trigger backfill --batch-operations)"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Service = "batchoperations.s3.amazonaws.com" }
        Action    = "sts:AssumeRole"
      },
    ]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "batch_operations" {
  count = var.create_batch_operations_role ? 1 : 0

  name   = "${var.name}-batch-operations"
  role   = aws_iam_role.batch_operations[0].id
  policy = jsonencode(local.batch_operations_policy)

  lifecycle {
    precondition {
      condition     = length(local.batch_operations_report_rules) == 0
      error_message = "batch_operations_report_prefix \"${var.batch_operations_report_prefix}\" in bucket ${var.bucket_name} is matched by rule(s) ${join(", ", local.batch_operations_report_rules)}, which invoke this module's function: every Batch Operations report and manifest would invoke it. Choose a prefix that no such rule's filter_prefix starts or is started by, or set batch_operations_report_bucket to another bucket."
    }
  }
}
