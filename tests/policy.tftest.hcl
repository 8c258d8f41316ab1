# Least privilege: the function's role policy, the TLS-only bucket policy, the invoke
# permissions and the notification rules, asserted on the plan (mock provider; computed ARNs
# are given real-looking values at plan time with override_during = plan).

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"

  mock_resource "aws_s3_bucket" {
    defaults = { id = "policy-bucket-123", arn = "arn:aws:s3:::policy-bucket-123" }
  }
  mock_resource "aws_lambda_function" {
    defaults = {
      arn        = "arn:aws:lambda:us-east-1:123456789012:function:policy-fn"
      invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:policy-fn/invocations"
    }
  }
  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:us-east-1:123456789012:policy-fn-failures"
      url = "https://sqs.us-east-1.amazonaws.com/123456789012/policy-fn-failures"
    }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/policy-fn" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/policy-fn", id = "policy-fn" }
  }
}

variables {
  name         = "policy-fn"
  bucket_name  = "policy-bucket-123"
  package_file = "build/handler.zip"
}

# --- defaults: one catch-all rule, no output, module queue ----------------------------------

run "default_policy" {
  command = plan

  assert {
    condition     = jsondecode(aws_iam_role_policy.this.policy).Version == "2012-10-17"
    error_message = "The role policy must be a 2012-10-17 policy document."
  }
  assert {
    condition     = toset([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Sid]) == toset(["WriteOwnLogGroup", "ReadMatchedObjects", "ListBucketToTellDeletedFromDenied", "SendFailedEvents"])
    error_message = "Default policy must hold exactly the log, read, list and failure-queue statements; got ${jsonencode([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Sid])}."
  }
  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Effect == "Allow"])
    error_message = "Every statement of the role policy must be an Allow."
  }
  # Logs: only the two write actions, only on the module's own log group's streams.
  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "WriteOwnLogGroup"]) == {
      Sid      = "WriteOwnLogGroup"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/policy-fn:*"]
    }
    error_message = "Logs statement must allow CreateLogStream/PutLogEvents on the log group ARN + \":*\" only."
  }
  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.this.policy).Statement : alltrue([for a in s.Action : startswith(a, "logs:")]) == (s.Sid == "WriteOwnLogGroup")
    ])
    error_message = "logs:* actions must appear only in the log group statement."
  }
  # Read: the catch-all rule (empty prefix) reads the whole bucket, nothing else.
  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "ReadMatchedObjects"]) == {
      Sid      = "ReadMatchedObjects"
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:GetObjectVersion"]
      Resource = ["arn:aws:s3:::policy-bucket-123/*"]
    }
    error_message = "Read statement must allow GetObject/GetObjectVersion on bucket/* for the catch-all rule."
  }
  # List: the bucket itself (key names), so a deleted object reads as NoSuchKey, not AccessDenied.
  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "ListBucketToTellDeletedFromDenied"]) == {
      Sid      = "ListBucketToTellDeletedFromDenied"
      Effect   = "Allow"
      Action   = ["s3:ListBucket"]
      Resource = ["arn:aws:s3:::policy-bucket-123"]
    }
    error_message = "The role must list the bucket (and nothing else), so reads of deleted objects get NoSuchKey."
  }
  assert {
    condition     = !anytrue([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : contains(s.Action, "s3:PutObject")])
    error_message = "No s3:PutObject without output_prefix."
  }
  assert {
    condition     = !anytrue(flatten([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : [for a in s.Action : strcontains(a, "*")]]))
    error_message = "No action may contain a wildcard."
  }
  assert {
    condition     = !anytrue(flatten([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : [for r in s.Resource : r == "*"]]))
    error_message = "No resource may be \"*\" without X-Ray tracing."
  }
  # Failed events go to the module's queue.
  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "SendFailedEvents"]) == {
      Sid      = "SendFailedEvents"
      Effect   = "Allow"
      Action   = ["sqs:SendMessage"]
      Resource = ["arn:aws:sqs:us-east-1:123456789012:policy-fn-failures"]
    }
    error_message = "Failure statement must allow sqs:SendMessage on the module's queue only."
  }
  assert {
    condition     = !anytrue([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : anytrue([for a in s.Action : startswith(a, "kms:") || startswith(a, "xray:")])])
    error_message = "No kms or xray actions by default."
  }
  assert {
    condition     = length(aws_iam_role_policy.extra) == 0
    error_message = "No extra policy without attach_extra_policy."
  }
  # The role can only be assumed by Lambda.
  assert {
    condition = jsondecode(aws_iam_role.this.assume_role_policy).Statement == [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
    error_message = "The role must trust lambda.amazonaws.com only."
  }
  assert {
    condition     = aws_iam_role_policy.this.role == aws_iam_role.this.id
    error_message = "The policy must be attached to the module's role."
  }
}

# --- several rules: one read prefix per distinct prefix of the module's own rules -----------

run "read_prefixes_and_output_prefix" {
  command = plan

  variables {
    output_prefix = "out/"
    notifications = {
      csv      = { filter_prefix = "in/", filter_suffix = ".csv" }
      json     = { filter_prefix = "in/", filter_suffix = ".json" }
      archive  = { filter_prefix = "archive/", events = ["s3:ObjectCreated:Put"] }
      external = { filter_prefix = "ext/", function_arn = "arn:aws:lambda:us-east-1:123456789012:function:other-fn" }
    }
  }

  assert {
    condition     = toset(one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "ReadMatchedObjects"]).Resource) == toset(["arn:aws:s3:::policy-bucket-123/in/*", "arn:aws:s3:::policy-bucket-123/archive/*"])
    error_message = "Read resources must be exactly one bucket/<prefix>* per distinct prefix of the module's own rules (the external rule adds none); got ${jsonencode(one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "ReadMatchedObjects"]).Resource)}."
  }
  assert {
    condition     = length(one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "ReadMatchedObjects"]).Resource) == 2
    error_message = "A prefix shared by two rules must be listed once."
  }
  assert {
    condition     = !anytrue(flatten([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : [for r in s.Resource : strcontains(r, "/ext/")]]))
    error_message = "A rule with an external function_arn must not grant the module's role any access to its prefix."
  }
  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if contains(s.Action, "s3:PutObject")]) == {
      Sid      = "WriteOutputPrefix"
      Effect   = "Allow"
      Action   = ["s3:PutObject"]
      Resource = ["arn:aws:s3:::policy-bucket-123/out/*"]
    }
    error_message = "s3:PutObject must be allowed only on bucket/<output_prefix>*, in a statement of its own."
  }
  assert {
    condition     = !anytrue(flatten([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : [for a in s.Action : strcontains(a, "*")]]))
    error_message = "No action may contain a wildcard."
  }
  assert {
    condition     = aws_lambda_function.this.environment[0].variables == tomap({ S3_OUTPUT_BUCKET = "policy-bucket-123", S3_OUTPUT_PREFIX = "out/" })
    error_message = "The function must be told where to write (S3_OUTPUT_BUCKET/S3_OUTPUT_PREFIX)."
  }

  # One permission per rule, each scoped to this bucket and account, with unique statement ids.
  assert {
    condition     = toset(keys(aws_lambda_permission.s3)) == toset(["csv", "json", "archive", "external"])
    error_message = "One invoke permission per rule, keyed by rule name."
  }
  assert {
    condition     = alltrue([for p in values(aws_lambda_permission.s3) : p.source_arn == "arn:aws:s3:::policy-bucket-123" && p.source_account == "123456789012" && p.principal == "s3.amazonaws.com" && p.action == "lambda:InvokeFunction"])
    error_message = "Every permission must let only s3.amazonaws.com invoke, from this bucket (source_arn) in this account (source_account)."
  }
  assert {
    condition     = length(distinct([for p in values(aws_lambda_permission.s3) : p.statement_id])) == length(aws_lambda_permission.s3)
    error_message = "Permission statement ids must be unique."
  }
  assert {
    condition     = alltrue([for p in values(aws_lambda_permission.s3) : length(p.statement_id) <= 100 && can(regex("^[A-Za-z0-9_-]+$", p.statement_id))])
    error_message = "Statement ids must be at most 100 characters from A-Z, a-z, 0-9, '-' and '_'."
  }
  assert {
    condition     = aws_lambda_permission.s3["external"].function_name == "arn:aws:lambda:us-east-1:123456789012:function:other-fn"
    error_message = "The external rule's permission must be granted on its own function."
  }
  assert {
    condition     = alltrue([for k in ["csv", "json", "archive"] : aws_lambda_permission.s3[k].function_name == "arn:aws:lambda:us-east-1:123456789012:function:policy-fn"])
    error_message = "The module's rules must grant invoke on the module's function."
  }

  # The notification: one lambda_function block per rule, id = rule name.
  assert {
    condition     = length(aws_s3_bucket_notification.this[0].lambda_function) == 4
    error_message = "One lambda_function block per rule."
  }
  assert {
    condition     = toset([for l in aws_s3_bucket_notification.this[0].lambda_function : l.id]) == toset(["csv", "json", "archive", "external"])
    error_message = "Each lambda_function block's id must be its rule name."
  }
  assert {
    condition = tomap({ for l in aws_s3_bucket_notification.this[0].lambda_function : l.id => l.lambda_function_arn }) == tomap({
      csv      = "arn:aws:lambda:us-east-1:123456789012:function:policy-fn"
      json     = "arn:aws:lambda:us-east-1:123456789012:function:policy-fn"
      archive  = "arn:aws:lambda:us-east-1:123456789012:function:policy-fn"
      external = "arn:aws:lambda:us-east-1:123456789012:function:other-fn"
    })
    error_message = "Each rule must invoke the module's function unless it names its own function_arn."
  }
  assert {
    condition = tomap({ for l in aws_s3_bucket_notification.this[0].lambda_function : l.id => "${coalesce(l.filter_prefix, "<null>")}|${coalesce(l.filter_suffix, "<null>")}" }) == tomap({
      csv      = "in/|.csv"
      json     = "in/|.json"
      archive  = "archive/|<null>"
      external = "ext/|<null>"
    })
    error_message = "Each block must carry its rule's prefix and suffix, null when empty."
  }
  assert {
    condition = tomap({ for l in aws_s3_bucket_notification.this[0].lambda_function : l.id => l.events }) == tomap({
      csv      = toset(["s3:ObjectCreated:*"])
      json     = toset(["s3:ObjectCreated:*"])
      archive  = toset(["s3:ObjectCreated:Put"])
      external = toset(["s3:ObjectCreated:*"])
    })
    error_message = "Each block must carry its rule's events (default: all object-create events)."
  }
  assert {
    condition     = aws_s3_bucket_notification.this[0].bucket == "policy-bucket-123"
    error_message = "The notification must be on the module's bucket."
  }
  assert {
    condition     = output.permission_statement_ids["external"] == "AllowS3Invoke-policy-fn-external"
    error_message = "permission_statement_ids must expose the statement id per rule."
  }
}

run "catch_all_rule_has_null_prefix_and_suffix" {
  command = plan

  assert {
    condition     = length(aws_s3_bucket_notification.this[0].lambda_function) == 1
    error_message = "The default is one rule."
  }
  assert {
    condition     = aws_s3_bucket_notification.this[0].lambda_function[0].id == "all" && aws_s3_bucket_notification.this[0].lambda_function[0].filter_prefix == null && aws_s3_bucket_notification.this[0].lambda_function[0].filter_suffix == null
    error_message = "An empty prefix/suffix must be sent as null (absent), not as \"\"."
  }
  assert {
    condition     = aws_s3_bucket_notification.this[0].lambda_function[0].events == toset(["s3:ObjectCreated:*"])
    error_message = "The default rule must fire on all object-create events."
  }
  assert {
    condition     = aws_s3_bucket_notification.this[0].eventbridge == false
    error_message = "EventBridge must be off by default."
  }
}

run "only_external_rules_grant_no_reads" {
  command = plan

  variables {
    notifications = {
      theirs = { function_arn = "arn:aws:lambda:us-east-1:123456789012:function:other-fn" }
    }
  }

  assert {
    condition     = !anytrue([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : anytrue([for a in s.Action : startswith(a, "s3:")])])
    error_message = "With only external rules the module's role must get no S3 access."
  }
  assert {
    condition     = aws_lambda_permission.s3["theirs"].function_name == "arn:aws:lambda:us-east-1:123456789012:function:other-fn"
    error_message = "The permission must be on the external function."
  }
}

# --- KMS ------------------------------------------------------------------------------------

run "kms_key_read_only" {
  command = plan

  variables {
    kms_key_arn          = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    create_failure_queue = false
  }

  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if anytrue([for a in s.Action : startswith(a, "kms:")])]) == {
      Sid      = "UseBucketKey"
      Effect   = "Allow"
      Action   = ["kms:Decrypt"]
      Resource = ["arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
    }
    error_message = "With a key, no output and no queue, the role may only decrypt, with that key only."
  }
}

run "kms_key_with_output_prefix" {
  command = plan

  variables {
    kms_key_arn          = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    create_failure_queue = false
    output_prefix        = "out/"
    notifications        = { uploads = { filter_prefix = "in/" } }
  }

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Action if s.Sid == "UseBucketKey"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    error_message = "Writing SSE-KMS objects needs kms:GenerateDataKey too."
  }
}

run "kms_key_with_module_queue" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  }

  # Lambda sends failed events with the function's role; SendMessage to a KMS-encrypted queue
  # needs kms:GenerateDataKey and kms:Decrypt on the queue's key.
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Action if s.Sid == "UseBucketKey"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    error_message = "Sending to the KMS-encrypted failure queue needs kms:GenerateDataKey and kms:Decrypt."
  }
  assert {
    condition     = aws_sqs_queue.failures[0].kms_master_key_id == "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    error_message = "The failure queue must be encrypted with kms_key_arn."
  }
}

# --- failure destinations -------------------------------------------------------------------

run "sns_failure_destination" {
  command = plan

  variables {
    create_failure_queue    = false
    failure_destination_arn = "arn:aws:sns:us-east-1:123456789012:failed-events"
  }

  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "SendFailedEvents"]) == {
      Sid      = "SendFailedEvents"
      Effect   = "Allow"
      Action   = ["sns:Publish"]
      Resource = ["arn:aws:sns:us-east-1:123456789012:failed-events"]
    }
    error_message = "An SNS destination needs sns:Publish on that topic only."
  }
  assert {
    condition     = !anytrue([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : contains(s.Action, "sqs:SendMessage")])
    error_message = "No sqs:SendMessage with an SNS destination."
  }
  assert {
    condition     = length(aws_sqs_queue.failures) == 0
    error_message = "No module queue with create_failure_queue = false."
  }
}

run "lambda_and_eventbridge_failure_destinations" {
  command = plan

  variables {
    create_failure_queue    = false
    failure_destination_arn = "arn:aws:lambda:us-east-1:123456789012:function:on-failure"
  }

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Action if s.Sid == "SendFailedEvents"]) == ["lambda:InvokeFunction"]
    error_message = "A Lambda destination needs lambda:InvokeFunction."
  }
}

run "s3_failure_destination" {
  command = plan

  variables {
    create_failure_queue    = false
    failure_destination_arn = "arn:aws:s3:::failed-events"
  }

  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "SendFailedEvents"]) == {
      Sid      = "SendFailedEvents"
      Effect   = "Allow"
      Action   = ["s3:PutObject", "s3:ListBucket"]
      Resource = ["arn:aws:s3:::failed-events", "arn:aws:s3:::failed-events/*"]
    }
    error_message = "An S3 destination needs s3:PutObject on its objects and s3:ListBucket on the bucket, nothing else."
  }
  assert {
    condition     = aws_lambda_function_event_invoke_config.this.destination_config[0].on_failure[0].destination == "arn:aws:s3:::failed-events"
    error_message = "on_failure must send to the S3 bucket."
  }
  assert {
    condition     = length(aws_sqs_queue.failures) == 0
    error_message = "No module queue with an S3 destination."
  }
}

run "eventbridge_failure_destination" {
  command = plan

  variables {
    create_failure_queue    = false
    failure_destination_arn = "arn:aws:events:us-east-1:123456789012:event-bus/failures"
  }

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Action if s.Sid == "SendFailedEvents"]) == ["events:PutEvents"]
    error_message = "An EventBridge destination needs events:PutEvents."
  }
}

run "no_failure_destination" {
  command = plan

  variables {
    create_failure_queue = false
  }

  assert {
    condition     = !anytrue([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Sid == "SendFailedEvents"])
    error_message = "No failure statement without a destination."
  }
  assert {
    condition     = length(aws_lambda_function_event_invoke_config.this.destination_config) == 0
    error_message = "No destination_config without a destination."
  }
  assert {
    condition     = output.failure_destination_arn == null && output.dlq_arn == null && output.dlq_url == null
    error_message = "The failure outputs must be null without a destination."
  }
}

# --- X-Ray ----------------------------------------------------------------------------------

run "tracing_active_grants_xray" {
  command = plan

  variables {
    tracing_mode = "Active"
  }

  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "WriteTraces"]) == {
      Sid      = "WriteTraces"
      Effect   = "Allow"
      Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      Resource = ["*"]
    }
    error_message = "Active tracing needs the two X-Ray write actions (X-Ray has no resource-level permissions)."
  }
  assert {
    condition     = aws_lambda_function.this.tracing_config[0].mode == "Active"
    error_message = "The function must trace in Active mode."
  }
}

run "tracing_passthrough_grants_nothing" {
  command = plan

  variables {
    tracing_mode = "PassThrough"
  }

  assert {
    condition     = !anytrue([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : anytrue([for a in s.Action : startswith(a, "xray:")])])
    error_message = "PassThrough tracing must not grant X-Ray actions."
  }
}

# --- the bucket's TLS-only policy -----------------------------------------------------------

run "tls_only_bucket_policy" {
  command = plan

  assert {
    condition     = length(aws_s3_bucket_policy.tls_only) == 1
    error_message = "A created bucket gets the TLS-only policy by default."
  }
  assert {
    condition = jsondecode(aws_s3_bucket_policy.tls_only[0].policy).Statement == [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = ["arn:aws:s3:::policy-bucket-123", "arn:aws:s3:::policy-bucket-123/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
    error_message = "The bucket policy must deny every request with aws:SecureTransport = false, on the bucket and its objects, and nothing else."
  }
  assert {
    condition     = aws_s3_bucket_policy.tls_only[0].bucket == "policy-bucket-123"
    error_message = "The bucket policy must be on the module's bucket."
  }
}

run "tls_policy_can_be_turned_off" {
  command = plan

  variables {
    require_tls = false
  }

  assert {
    condition     = length(aws_s3_bucket_policy.tls_only) == 0
    error_message = "require_tls = false must not attach a bucket policy."
  }
}

# --- long names stay within Lambda's statement id limit -------------------------------------

run "longest_names_fit_statement_id" {
  command = plan

  variables {
    name = "fn-${join("", [for i in range(13) : "abcd"])}"
    notifications = {
      "${join("", [for i in range(12) : "rule"])}" = {}
    }
  }

  assert {
    condition     = alltrue([for p in values(aws_lambda_permission.s3) : length(p.statement_id) <= 100])
    error_message = "Statement ids must be at most 100 characters (Lambda's limit) for the longest allowed name and rule name; got ${jsonencode([for p in values(aws_lambda_permission.s3) : length(p.statement_id)])}."
  }
}
