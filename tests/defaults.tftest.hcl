# Secure defaults of the bucket, the function, the failure queue and the invoke config, attaching
# to an existing bucket, and tags (mock provider; plan only).

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"

  mock_resource "aws_s3_bucket" {
    defaults = { id = "defaults-bucket-123", arn = "arn:aws:s3:::defaults-bucket-123" }
  }
  mock_resource "aws_lambda_function" {
    defaults = {
      arn        = "arn:aws:lambda:us-east-1:123456789012:function:defaults-fn"
      invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:defaults-fn/invocations"
    }
  }
  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:us-east-1:123456789012:defaults-fn-failures"
      url = "https://sqs.us-east-1.amazonaws.com/123456789012/defaults-fn-failures"
    }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/defaults-fn" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/defaults-fn", id = "defaults-fn" }
  }
}

variables {
  name         = "defaults-fn"
  bucket_name  = "defaults-bucket-123"
  package_file = "build/handler.zip"
}

run "secure_bucket_defaults" {
  command = plan

  assert {
    condition     = length(aws_s3_bucket.this) == 1 && aws_s3_bucket.this[0].bucket == "defaults-bucket-123"
    error_message = "The module creates the bucket by default."
  }
  assert {
    condition     = aws_s3_bucket.this[0].force_destroy == false
    error_message = "force_destroy must be off by default."
  }
  assert {
    condition = (
      aws_s3_bucket_public_access_block.this[0].block_public_acls
      && aws_s3_bucket_public_access_block.this[0].block_public_policy
      && aws_s3_bucket_public_access_block.this[0].ignore_public_acls
      && aws_s3_bucket_public_access_block.this[0].restrict_public_buckets
    )
    error_message = "All four public access block settings must be true."
  }
  assert {
    condition     = aws_s3_bucket_public_access_block.this[0].bucket == "defaults-bucket-123"
    error_message = "The public access block must be on the module's bucket."
  }
  assert {
    condition     = one(aws_s3_bucket_ownership_controls.this[0].rule).object_ownership == "BucketOwnerEnforced"
    error_message = "Object ownership must be BucketOwnerEnforced (ACLs disabled)."
  }
  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this[0].rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
    error_message = "Default encryption must be SSE-S3 (AES256) without kms_key_arn."
  }
  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this[0].rule).apply_server_side_encryption_by_default).kms_master_key_id == null
    error_message = "No KMS key without kms_key_arn."
  }
  assert {
    condition     = length(aws_s3_bucket_versioning.this) == 0
    error_message = "Versioning is off (no versioning resource) by default."
  }
  assert {
    condition     = length(aws_s3_bucket_policy.tls_only) == 1
    error_message = "The TLS-only bucket policy is on by default."
  }
  assert {
    condition     = output.bucket_name == "defaults-bucket-123" && output.bucket_arn == "arn:aws:s3:::defaults-bucket-123"
    error_message = "bucket_name/bucket_arn outputs must name the bucket."
  }
}

run "function_defaults" {
  command = plan

  assert {
    condition     = aws_lambda_function.this.function_name == "defaults-fn" && aws_lambda_function.this.runtime == "python3.13" && aws_lambda_function.this.handler == "handler.app.lambda_handler"
    error_message = "Function name, runtime python3.13 and handler.app.lambda_handler by default."
  }
  assert {
    condition     = aws_lambda_function.this.architectures == tolist(["x86_64"]) && aws_lambda_function.this.memory_size == 128 && aws_lambda_function.this.timeout == 30
    error_message = "x86_64, 128 MB, 30 s by default."
  }
  assert {
    condition     = aws_lambda_function.this.source_code_hash == filebase64sha256("build/handler.zip") && aws_lambda_function.this.filename == "build/handler.zip"
    error_message = "The function's code is package_file and source_code_hash its base64 SHA-256."
  }
  assert {
    condition     = aws_lambda_function.this.role == "arn:aws:iam::123456789012:role/defaults-fn"
    error_message = "The function must run with the module's role."
  }
  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == -1
    error_message = "Concurrency is unreserved by default."
  }
  assert {
    condition     = length(aws_lambda_function.this.environment) == 0
    error_message = "No environment block without output_prefix or environment_variables."
  }
  assert {
    condition     = length(aws_lambda_function.this.tracing_config) == 0
    error_message = "No tracing_config by default."
  }
  assert {
    condition     = one(aws_lambda_function.this.logging_config).log_group == "/aws/lambda/defaults-fn" && one(aws_lambda_function.this.logging_config).log_format == "Text"
    error_message = "The function must log to the module's log group in Text format."
  }
  assert {
    condition     = aws_cloudwatch_log_group.this.name == "/aws/lambda/defaults-fn" && aws_cloudwatch_log_group.this.retention_in_days == 30 && aws_cloudwatch_log_group.this.kms_key_id == null
    error_message = "Log group /aws/lambda/<name> with 30 days retention by default."
  }
  assert {
    condition     = aws_lambda_function_recursion_config.this.recursive_loop == "Terminate" && aws_lambda_function_recursion_config.this.function_name == "defaults-fn"
    error_message = "Recursive loop detection must terminate loops by default."
  }
  assert {
    condition     = aws_iam_role.this.name == "defaults-fn" && aws_iam_role_policy.this.name == "defaults-fn-least-privilege"
    error_message = "Role and policy names derive from name."
  }
}

run "failure_queue_and_invoke_config_defaults" {
  command = plan

  assert {
    condition     = length(aws_sqs_queue.failures) == 1 && aws_sqs_queue.failures[0].name == "defaults-fn-failures"
    error_message = "The module creates the <name>-failures queue by default."
  }
  assert {
    condition     = aws_sqs_queue.failures[0].sqs_managed_sse_enabled == true && aws_sqs_queue.failures[0].kms_master_key_id == null
    error_message = "The queue must use SQS-managed encryption without kms_key_arn."
  }
  assert {
    condition     = aws_sqs_queue.failures[0].message_retention_seconds == 1209600
    error_message = "The queue keeps messages 14 days by default."
  }
  assert {
    condition     = aws_lambda_function_event_invoke_config.this.function_name == "defaults-fn"
    error_message = "The invoke config must be on the module's function."
  }
  assert {
    condition     = aws_lambda_function_event_invoke_config.this.maximum_retry_attempts == 2 && aws_lambda_function_event_invoke_config.this.maximum_event_age_in_seconds == 21600
    error_message = "Retries 2 and event age 21600 s by default."
  }
  assert {
    condition     = one(one(aws_lambda_function_event_invoke_config.this.destination_config).on_failure).destination == "arn:aws:sqs:us-east-1:123456789012:defaults-fn-failures"
    error_message = "Failed events must go to the module's queue."
  }
  assert {
    condition     = output.failure_destination_arn == "arn:aws:sqs:us-east-1:123456789012:defaults-fn-failures" && output.dlq_arn == output.failure_destination_arn
    error_message = "failure_destination_arn/dlq_arn outputs must name the module's queue."
  }
}

run "invoke_config_from_variables" {
  command = plan

  variables {
    maximum_retry_attempts       = 0
    maximum_event_age_in_seconds = 60
    create_failure_queue         = false
    failure_destination_arn      = "arn:aws:sqs:us-east-1:123456789012:elsewhere"
  }

  assert {
    condition     = aws_lambda_function_event_invoke_config.this.maximum_retry_attempts == 0 && aws_lambda_function_event_invoke_config.this.maximum_event_age_in_seconds == 60
    error_message = "Retry attempts and event age must come from the variables."
  }
  assert {
    condition     = one(one(aws_lambda_function_event_invoke_config.this.destination_config).on_failure).destination == "arn:aws:sqs:us-east-1:123456789012:elsewhere"
    error_message = "on_failure must send to failure_destination_arn."
  }
  assert {
    condition     = length(aws_sqs_queue.failures) == 0
    error_message = "No module queue with create_failure_queue = false."
  }
}

run "kms_encryption" {
  command = plan

  variables {
    kms_key_arn     = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    log_kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/9999abcd-12ab-34cd-56ef-1234567890ab"
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this[0].rule).apply_server_side_encryption_by_default).sse_algorithm == "aws:kms"
    error_message = "kms_key_arn must switch the bucket to aws:kms."
  }
  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this[0].rule).apply_server_side_encryption_by_default).kms_master_key_id == "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    error_message = "The bucket must be encrypted with kms_key_arn."
  }
  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.this[0].rule).bucket_key_enabled == true
    error_message = "S3 Bucket Keys must be on with KMS (fewer KMS calls)."
  }
  assert {
    condition     = aws_sqs_queue.failures[0].sqs_managed_sse_enabled != true && aws_sqs_queue.failures[0].kms_master_key_id == "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    error_message = "The queue must use kms_key_arn instead of SQS-managed encryption."
  }
  assert {
    condition     = aws_cloudwatch_log_group.this.kms_key_id == "arn:aws:kms:us-east-1:123456789012:key/9999abcd-12ab-34cd-56ef-1234567890ab"
    error_message = "The log group must be encrypted with log_kms_key_arn."
  }
}

run "versioning_and_force_destroy_opt_in" {
  command = plan

  variables {
    versioning    = true
    force_destroy = true
  }

  assert {
    condition     = one(aws_s3_bucket_versioning.this[0].versioning_configuration).status == "Enabled"
    error_message = "versioning = true must enable versioning."
  }
  assert {
    condition     = aws_s3_bucket.this[0].force_destroy == true
    error_message = "force_destroy = true must reach the bucket."
  }
}

run "existing_bucket" {
  command = plan

  variables {
    create_bucket = false
    bucket_name   = "someone-elses-bucket"
  }

  assert {
    condition = (
      length(aws_s3_bucket.this) == 0
      && length(aws_s3_bucket_policy.tls_only) == 0
      && length(aws_s3_bucket_public_access_block.this) == 0
      && length(aws_s3_bucket_ownership_controls.this) == 0
      && length(aws_s3_bucket_server_side_encryption_configuration.this) == 0
      && length(aws_s3_bucket_versioning.this) == 0
    )
    error_message = "With create_bucket = false the module must not create or reconfigure the bucket."
  }
  assert {
    condition     = aws_s3_bucket_notification.this[0].bucket == "someone-elses-bucket"
    error_message = "The notification must still be written on the given bucket."
  }
  assert {
    condition     = length(aws_s3_bucket_notification.this[0].lambda_function) == 1
    error_message = "The notification must carry the rules."
  }
  assert {
    condition     = aws_lambda_permission.s3["all"].source_arn == "arn:aws:s3:::someone-elses-bucket"
    error_message = "The permission must name the existing bucket."
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Resource if s.Sid == "ReadMatchedObjects"]) == ["arn:aws:s3:::someone-elses-bucket/*"]
    error_message = "The role must read from the existing bucket."
  }
  assert {
    condition     = output.bucket_name == "someone-elses-bucket"
    error_message = "bucket_name output must be the existing bucket."
  }
}

run "tags_on_every_taggable_resource" {
  command = plan

  variables {
    tags         = { team = "data", env = "test" }
    tracing_mode = "Active"
  }

  assert {
    condition = alltrue([
      for t in [
        aws_s3_bucket.this[0].tags,
        aws_iam_role.this.tags,
        aws_cloudwatch_log_group.this.tags,
        aws_lambda_function.this.tags,
        aws_sqs_queue.failures[0].tags,
      ] : t == tomap({ team = "data", env = "test" })
    ])
    error_message = "Bucket, role, log group, function and queue must carry var.tags."
  }
}

run "no_tags_by_default" {
  command = plan

  assert {
    condition     = aws_lambda_function.this.tags == null || length(coalesce(aws_lambda_function.this.tags, {})) == 0
    error_message = "No tags unless var.tags is set."
  }
}
