# The S3 Batch Operations role (create_batch_operations_role): absent by default; when on, it
# trusts only S3 Batch Operations and may invoke the function, list the bucket, read manifests
# and write reports under the report prefix, nothing else. Asserted on the plan (mock provider).

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"

  mock_resource "aws_s3_bucket" {
    defaults = { id = "bops-bucket-123", arn = "arn:aws:s3:::bops-bucket-123" }
  }
  mock_resource "aws_lambda_function" {
    defaults = {
      arn        = "arn:aws:lambda:us-east-1:123456789012:function:bops-fn"
      invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:bops-fn/invocations"
    }
  }
  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:us-east-1:123456789012:bops-fn-failures"
      url = "https://sqs.us-east-1.amazonaws.com/123456789012/bops-fn-failures"
    }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/bops-fn" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/bops-fn-batch-ops", id = "bops-fn-batch-ops" }
  }
}

variables {
  name         = "bops-fn"
  bucket_name  = "bops-bucket-123"
  package_file = "build/handler.zip"
  notifications = {
    csv = { filter_prefix = "incoming/", filter_suffix = ".csv" }
  }
}

run "off_by_default" {
  command = plan

  assert {
    condition     = length(aws_iam_role.batch_operations) == 0 && length(aws_iam_role_policy.batch_operations) == 0
    error_message = "No Batch Operations role unless create_batch_operations_role = true."
  }
  assert {
    condition     = output.batch_operations_role_arn == null && output.batch_operations_report_prefix == null && output.batch_operations_report_bucket == null
    error_message = "The Batch Operations outputs are null without the role."
  }
}

run "role_and_least_privilege_policy" {
  command = plan

  variables {
    create_batch_operations_role = true
  }

  assert {
    condition = jsondecode(aws_iam_role.batch_operations[0].assume_role_policy).Statement == [{
      Effect    = "Allow"
      Principal = { Service = "batchoperations.s3.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
    error_message = "The role must trust batchoperations.s3.amazonaws.com only."
  }
  assert {
    condition     = aws_iam_role.batch_operations[0].name == "bops-fn-batch-ops"
    error_message = "The role is named <name>-batch-ops."
  }
  assert {
    condition     = aws_iam_role_policy.batch_operations[0].role == aws_iam_role.batch_operations[0].id
    error_message = "The policy must be attached to the Batch Operations role."
  }
  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.batch_operations[0].policy).Statement : s.Sid] == ["InvokeFunction", "ListSourceBucket", "ReadManifests", "WriteReports"]
    error_message = "The policy holds exactly the invoke, list, manifest and report statements; got ${jsonencode([for s in jsondecode(aws_iam_role_policy.batch_operations[0].policy).Statement : s.Sid])}."
  }
  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.batch_operations[0].policy).Statement : s if s.Sid == "InvokeFunction"]) == {
      Sid      = "InvokeFunction"
      Effect   = "Allow"
      Action   = ["lambda:InvokeFunction"]
      Resource = ["arn:aws:lambda:us-east-1:123456789012:function:bops-fn", "arn:aws:lambda:us-east-1:123456789012:function:bops-fn:*"]
    }
    error_message = "Invoke only the module's function (and its versions and aliases)."
  }
  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.batch_operations[0].policy).Statement : s if s.Sid == "ListSourceBucket"]) == {
      Sid      = "ListSourceBucket"
      Effect   = "Allow"
      Action   = ["s3:ListBucket", "s3:GetBucketLocation"]
      Resource = ["arn:aws:s3:::bops-bucket-123"]
    }
    error_message = "List (manifest generator) and locate the module's bucket only."
  }
  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.batch_operations[0].policy).Statement : s if s.Sid == "ReadManifests"]) == {
      Sid      = "ReadManifests"
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:GetObjectVersion"]
      Resource = ["arn:aws:s3:::bops-bucket-123/s3-lambda-trigger/batch-operations/*"]
    }
    error_message = "Read objects only under the report prefix (CSV manifests), not the data."
  }
  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.batch_operations[0].policy).Statement : s if s.Sid == "WriteReports"]) == {
      Sid      = "WriteReports"
      Effect   = "Allow"
      Action   = ["s3:PutObject"]
      Resource = ["arn:aws:s3:::bops-bucket-123/s3-lambda-trigger/batch-operations/*"]
    }
    error_message = "Write only under the report prefix."
  }
  assert {
    condition     = !anytrue(flatten([for s in jsondecode(aws_iam_role_policy.batch_operations[0].policy).Statement : [for a in s.Action : strcontains(a, "*")]]))
    error_message = "No action may contain a wildcard."
  }
  assert {
    condition     = !anytrue(flatten([for s in jsondecode(aws_iam_role_policy.batch_operations[0].policy).Statement : [for r in s.Resource : r == "*" || endswith(r, ":::bops-bucket-123/*")]]))
    error_message = "No resource may be \"*\" or the whole bucket's objects."
  }
  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role_policy.batch_operations[0].policy).Statement : s.Effect == "Allow"])
    error_message = "Every statement is an Allow."
  }
  assert {
    condition     = output.batch_operations_role_arn == "arn:aws:iam::123456789012:role/bops-fn-batch-ops"
    error_message = "batch_operations_role_arn is the role's ARN."
  }
  assert {
    condition     = output.batch_operations_report_bucket == "bops-bucket-123" && output.batch_operations_report_prefix == "s3-lambda-trigger/batch-operations/"
    error_message = "Reports default to the module's bucket under s3-lambda-trigger/batch-operations/."
  }
  # The function's own role gains nothing.
  assert {
    condition     = !anytrue([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : contains(s.Action, "lambda:InvokeFunction")])
    error_message = "The function's role must not gain lambda:InvokeFunction."
  }
}

run "report_bucket_elsewhere_and_kms" {
  command = plan

  variables {
    create_batch_operations_role   = true
    batch_operations_report_bucket = "bops-reports-123"
    batch_operations_report_prefix = "jobs/"
    kms_key_arn                    = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.batch_operations[0].policy).Statement : s if s.Sid == "WriteReports"]).Resource == ["arn:aws:s3:::bops-reports-123/jobs/*"]
    error_message = "Reports go to the report bucket under its prefix."
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.batch_operations[0].policy).Statement : s if s.Sid == "ReadManifests"]).Resource == ["arn:aws:s3:::bops-reports-123/jobs/*"]
    error_message = "Manifests are read from the report bucket under its prefix."
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.batch_operations[0].policy).Statement : s if s.Sid == "LocateReportBucket"]).Resource == ["arn:aws:s3:::bops-reports-123"]
    error_message = "The report bucket's location may be read."
  }
  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.batch_operations[0].policy).Statement : s if s.Sid == "UseBucketKey"]) == {
      Sid      = "UseBucketKey"
      Effect   = "Allow"
      Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
      Resource = ["arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"]
    }
    error_message = "With kms_key_arn the role may use that key only."
  }
  assert {
    condition     = output.batch_operations_report_bucket == "bops-reports-123" && output.batch_operations_report_prefix == "jobs/"
    error_message = "The report outputs follow the variables."
  }
}

run "longest_name_keeps_role_name_within_64" {
  command = plan

  variables {
    name                         = "a-very-long-function-name-that-is-exactly-fifty-five-ch"
    create_batch_operations_role = true
  }

  assert {
    condition     = length(aws_iam_role.batch_operations[0].name) <= 64
    error_message = "IAM role names are at most 64 characters; got ${aws_iam_role.batch_operations[0].name}."
  }
}

run "reports_under_a_rule_of_the_function_are_refused" {
  command = plan

  variables {
    create_batch_operations_role = true
    notifications                = { all = {} }
  }
  expect_failures = [aws_iam_role_policy.batch_operations]
}

run "reports_in_another_bucket_may_overlap" {
  command = plan

  variables {
    create_batch_operations_role   = true
    batch_operations_report_bucket = "bops-reports-123"
    notifications                  = { all = {} }
  }

  assert {
    condition     = length(aws_iam_role_policy.batch_operations) == 1
    error_message = "A catch-all rule does not see reports written to another bucket."
  }
}

run "suffix_that_no_report_ends_with_may_overlap" {
  command = plan

  variables {
    create_batch_operations_role = true
    notifications                = { images = { filter_suffix = ".jpg" } }
  }

  assert {
    condition     = length(aws_iam_role_policy.batch_operations) == 1
    error_message = "A rule for *.jpg is not triggered by reports (*.csv, *.json)."
  }
}

run "report_prefix_must_end_with_slash" {
  command = plan

  variables {
    batch_operations_report_prefix = "/reports"
  }
  expect_failures = [var.batch_operations_report_prefix]
}
