# Plan-time validations: every variable validation and precondition is shown failing on a bad
# input, and the nearest good input is shown passing. Mock provider: no AWS account needed.
# Run from the module root: terraform test (package_file needs build/handler.zip: make package).

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"

  mock_resource "aws_lambda_function" {
    defaults = {
      arn        = "arn:aws:lambda:us-east-1:123456789012:function:validation-fn"
      invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:validation-fn/invocations"
    }
  }
  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:us-east-1:123456789012:validation-fn-failures"
      url = "https://sqs.us-east-1.amazonaws.com/123456789012/validation-fn-failures"
    }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/validation-fn" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/validation-fn" }
  }
}

variables {
  name         = "validation-fn"
  bucket_name  = "validation-bucket-123"
  package_file = "build/handler.zip"
}

# --- the baseline passes ------------------------------------------------------------------

run "baseline_plans" {
  command = plan
}

# --- notifications: event names -------------------------------------------------------------

run "unknown_event_name" {
  command = plan
  variables {
    notifications = {
      typo = { events = ["s3:ObjectCreated:Upload"] }
    }
  }
  expect_failures = [var.notifications]
}

run "event_name_without_s3_prefix" {
  command = plan
  variables {
    notifications = {
      bare = { events = ["ObjectCreated:*"] }
    }
  }
  expect_failures = [var.notifications]
}

run "every_known_event_family_passes" {
  command = plan
  variables {
    notifications = {
      created   = { events = ["s3:ObjectCreated:Put", "s3:ObjectCreated:Post", "s3:ObjectCreated:Copy", "s3:ObjectCreated:CompleteMultipartUpload"] }
      removed   = { events = ["s3:ObjectRemoved:*"] }
      restore   = { events = ["s3:ObjectRestore:*"] }
      rrs       = { events = ["s3:ReducedRedundancyLostObject"] }
      repl      = { events = ["s3:Replication:*"] }
      expire    = { events = ["s3:LifecycleExpiration:*"] }
      lifecycle = { events = ["s3:LifecycleTransition", "s3:IntelligentTiering"] }
      tagging   = { events = ["s3:ObjectTagging:*"] }
      acl       = { events = ["s3:ObjectAcl:Put"] }
    }
  }
}

run "empty_events" {
  command = plan
  variables {
    notifications = {
      nothing = { events = [] }
    }
  }
  expect_failures = [var.notifications]
}

run "duplicate_event_in_one_rule" {
  command = plan
  variables {
    notifications = {
      twice = { events = ["s3:ObjectCreated:Put", "s3:ObjectCreated:Put"] }
    }
  }
  expect_failures = [var.notifications]
}

run "no_rules" {
  command = plan
  variables {
    notifications = {}
  }
  expect_failures = [var.notifications]
}

# --- notifications: prefixes, suffixes, names, targets --------------------------------------

run "prefix_with_leading_slash" {
  command = plan
  variables {
    notifications = {
      slash = { filter_prefix = "/incoming/" }
    }
  }
  expect_failures = [var.notifications]
}

run "prefix_too_long" {
  command = plan
  variables {
    notifications = {
      long = { filter_prefix = "${join("", [for i in range(205) : "abcde"])}" }
    }
  }
  expect_failures = [var.notifications]
}

run "rule_name_with_space" {
  command = plan
  variables {
    notifications = {
      "bad name" = {}
    }
  }
  expect_failures = [var.notifications]
}

run "rule_name_with_dot" {
  command = plan
  variables {
    notifications = {
      "csv.files" = {}
    }
  }
  expect_failures = [var.notifications]
}

run "rule_name_too_long" {
  command = plan
  variables {
    notifications = {
      "${join("", [for i in range(49) : "r"])}" = {}
    }
  }
  expect_failures = [var.notifications]
}

run "function_arn_not_lambda" {
  command = plan
  variables {
    notifications = {
      other = { function_arn = "arn:aws:sqs:us-east-1:123456789012:queue" }
    }
  }
  expect_failures = [var.notifications]
}

run "function_arn_bare_name" {
  command = plan
  variables {
    notifications = {
      other = { function_arn = "my-function" }
    }
  }
  expect_failures = [var.notifications]
}

run "function_arn_with_alias_passes" {
  command = plan
  variables {
    notifications = {
      other = { function_arn = "arn:aws:lambda:us-east-1:123456789012:function:other-fn:live" }
    }
  }
}

# --- notifications: overlapping rules -------------------------------------------------------

run "overlap_same_event_nested_prefixes" {
  command = plan
  variables {
    notifications = {
      outer = { filter_prefix = "data/" }
      inner = { filter_prefix = "data/raw/" }
    }
  }
  expect_failures = [aws_s3_bucket_notification.this[0]]
}

run "overlap_empty_prefix_matches_all" {
  command = plan
  variables {
    notifications = {
      everything = {}
      uploads    = { filter_prefix = "uploads/" }
    }
  }
  expect_failures = [aws_s3_bucket_notification.this[0]]
}

run "overlap_same_prefix_empty_suffix" {
  command = plan
  variables {
    notifications = {
      all_files = { filter_prefix = "in/" }
      csv_files = { filter_prefix = "in/", filter_suffix = ".csv" }
    }
  }
  expect_failures = [aws_s3_bucket_notification.this[0]]
}

run "overlap_nested_suffixes" {
  command = plan
  variables {
    notifications = {
      csv     = { filter_prefix = "in/", filter_suffix = ".csv" }
      sales   = { filter_prefix = "in/", filter_suffix = "sales.csv" }
      ignored = { filter_prefix = "other/" }
    }
  }
  expect_failures = [aws_s3_bucket_notification.this[0]]
}

run "overlap_wildcard_and_member" {
  command = plan
  variables {
    notifications = {
      any_create = { events = ["s3:ObjectCreated:*"], filter_prefix = "in/" }
      put_only   = { events = ["s3:ObjectCreated:Put"], filter_prefix = "in/" }
    }
  }
  expect_failures = [aws_s3_bucket_notification.this[0]]
}

run "overlap_member_and_wildcard_reversed" {
  command = plan
  variables {
    notifications = {
      a_put = { events = ["s3:ObjectRemoved:Delete"] }
      b_any = { events = ["s3:ObjectRemoved:*"], filter_prefix = "x/" }
    }
  }
  expect_failures = [aws_s3_bucket_notification.this[0]]
}

run "overlap_with_external_function_still_ambiguous" {
  command = plan
  variables {
    notifications = {
      mine   = { filter_prefix = "in/" }
      theirs = { filter_prefix = "in/", function_arn = "arn:aws:lambda:us-east-1:123456789012:function:other-fn" }
    }
  }
  expect_failures = [aws_s3_bucket_notification.this[0]]
}

run "no_overlap_same_prefix_different_suffixes" {
  command = plan
  variables {
    notifications = {
      csv  = { filter_prefix = "in/", filter_suffix = ".csv" }
      json = { filter_prefix = "in/", filter_suffix = ".json" }
    }
  }
}

run "no_overlap_disjoint_prefixes" {
  command = plan
  variables {
    notifications = {
      a = { filter_prefix = "a/" }
      b = { filter_prefix = "b/" }
    }
  }
}

run "no_overlap_sibling_prefixes_sharing_characters" {
  command = plan
  variables {
    notifications = {
      logs     = { filter_prefix = "logs/" }
      logs_old = { filter_prefix = "logs-old/" }
    }
  }
}

run "no_overlap_different_event_families" {
  command = plan
  variables {
    notifications = {
      created = { events = ["s3:ObjectCreated:*"], filter_prefix = "in/" }
      removed = { events = ["s3:ObjectRemoved:*"], filter_prefix = "in/" }
    }
  }
}

run "no_overlap_different_members_of_one_family" {
  command = plan
  variables {
    notifications = {
      put  = { events = ["s3:ObjectCreated:Put"], filter_prefix = "in/" }
      copy = { events = ["s3:ObjectCreated:Copy"], filter_prefix = "in/" }
    }
  }
}

# --- bucket_name ----------------------------------------------------------------------------

run "bucket_name_uppercase" {
  command = plan
  variables {
    bucket_name = "My-Bucket"
  }
  expect_failures = [var.bucket_name]
}

run "bucket_name_too_short" {
  command = plan
  variables {
    bucket_name = "ab"
  }
  expect_failures = [var.bucket_name]
}

run "bucket_name_too_long" {
  command = plan
  variables {
    bucket_name = join("", [for i in range(64) : "b"])
  }
  expect_failures = [var.bucket_name]
}

run "bucket_name_double_dot" {
  command = plan
  variables {
    bucket_name = "my..bucket"
  }
  expect_failures = [var.bucket_name]
}

run "bucket_name_ip_address" {
  command = plan
  variables {
    bucket_name = "192.168.5.4"
  }
  expect_failures = [var.bucket_name]
}

run "bucket_name_xn_prefix" {
  command = plan
  variables {
    bucket_name = "xn--bucket"
  }
  expect_failures = [var.bucket_name]
}

run "bucket_name_s3alias_suffix" {
  command = plan
  variables {
    bucket_name = "my-bucket-s3alias"
  }
  expect_failures = [var.bucket_name]
}

run "bucket_name_ends_with_hyphen" {
  command = plan
  variables {
    bucket_name = "my-bucket-"
  }
  expect_failures = [var.bucket_name]
}

run "bucket_name_underscore" {
  command = plan
  variables {
    bucket_name = "my_bucket"
  }
  expect_failures = [var.bucket_name]
}

run "bucket_name_three_chars_and_dots_pass" {
  command = plan
  variables {
    bucket_name = "a.b"
  }
}

# --- loop: output_prefix matched by a rule of the module's own function ---------------------

run "loop_output_under_rule_prefix" {
  command = plan
  variables {
    output_prefix = "in/processed/"
    notifications = {
      uploads = { filter_prefix = "in/" }
    }
  }
  expect_failures = [aws_s3_bucket_notification.this[0]]
}

run "loop_rule_prefix_under_output_prefix" {
  command = plan
  variables {
    output_prefix = "out/"
    notifications = {
      deep = { filter_prefix = "out/reports/" }
    }
  }
  expect_failures = [aws_s3_bucket_notification.this[0]]
}

run "loop_default_rule_matches_everything" {
  command = plan
  variables {
    output_prefix = "out/"
  }
  expect_failures = [aws_s3_bucket_notification.this[0]]
}

run "no_loop_when_rule_targets_external_function" {
  command = plan
  variables {
    output_prefix = "out/"
    notifications = {
      mine   = { filter_prefix = "in/" }
      theirs = { filter_prefix = "out/", function_arn = "arn:aws:lambda:us-east-1:123456789012:function:other-fn" }
    }
  }
}

run "no_loop_with_disjoint_prefixes" {
  command = plan
  variables {
    output_prefix = "out/"
    notifications = {
      uploads = { filter_prefix = "in/" }
    }
  }
}

run "output_prefix_empty" {
  command = plan
  variables {
    output_prefix = ""
    notifications = {
      uploads = { filter_prefix = "in/" }
    }
  }
  expect_failures = [var.output_prefix]
}

run "output_prefix_leading_slash" {
  command = plan
  variables {
    output_prefix = "/out/"
    notifications = {
      uploads = { filter_prefix = "in/" }
    }
  }
  expect_failures = [var.output_prefix]
}

# --- failure destination --------------------------------------------------------------------

run "failure_destination_arn_not_supported_service" {
  command = plan
  variables {
    create_failure_queue    = false
    failure_destination_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/failures"
  }
  expect_failures = [var.failure_destination_arn]
}

run "failure_destination_arn_s3_object_not_bucket" {
  command = plan
  variables {
    create_failure_queue    = false
    failure_destination_arn = "arn:aws:s3:::some-bucket/failed/"
  }
  expect_failures = [var.failure_destination_arn]
}

run "failure_destination_with_module_queue" {
  command = plan
  variables {
    failure_destination_arn = "arn:aws:sqs:us-east-1:123456789012:elsewhere"
  }
  expect_failures = [aws_lambda_function_event_invoke_config.this]
}

run "retry_attempts_too_high" {
  command = plan
  variables {
    maximum_retry_attempts = 3
  }
  expect_failures = [var.maximum_retry_attempts]
}

run "retry_attempts_negative" {
  command = plan
  variables {
    maximum_retry_attempts = -1
  }
  expect_failures = [var.maximum_retry_attempts]
}

run "event_age_too_short" {
  command = plan
  variables {
    maximum_event_age_in_seconds = 59
  }
  expect_failures = [var.maximum_event_age_in_seconds]
}

run "event_age_too_long" {
  command = plan
  variables {
    maximum_event_age_in_seconds = 21601
  }
  expect_failures = [var.maximum_event_age_in_seconds]
}

run "failure_queue_retention_too_long" {
  command = plan
  variables {
    failure_queue_retention_seconds = 1209601
  }
  expect_failures = [var.failure_queue_retention_seconds]
}

# --- function settings ----------------------------------------------------------------------

run "name_with_slash" {
  command = plan
  variables {
    name = "my/function"
  }
  expect_failures = [var.name]
}

run "name_too_long" {
  command = plan
  variables {
    name = join("", [for i in range(56) : "n"])
  }
  expect_failures = [var.name]
}

run "handler_without_module" {
  command = plan
  variables {
    handler = "lambda_handler"
  }
  expect_failures = [var.handler]
}

run "runtime_not_python" {
  command = plan
  variables {
    runtime = "nodejs20.x"
  }
  expect_failures = [var.runtime]
}

run "runtime_too_old" {
  command = plan
  variables {
    runtime = "python3.9"
  }
  expect_failures = [var.runtime]
}

# The handler needs Python 3.11+ (tests/unit/test_runtimes.py shows it failing to import on 3.10).
run "runtime_python310_refused" {
  command = plan
  variables {
    runtime = "python3.10"
  }
  expect_failures = [var.runtime]
}

run "runtime_every_supported_passes" {
  command = plan
  variables {
    runtime = "python3.11"
  }
  assert {
    condition     = aws_lambda_function.this.runtime == "python3.11"
    error_message = "python3.11 is supported."
  }
}

run "architecture_unknown" {
  command = plan
  variables {
    architecture = "aarch64"
  }
  expect_failures = [var.architecture]
}

run "memory_too_small" {
  command = plan
  variables {
    memory_size = 64
  }
  expect_failures = [var.memory_size]
}

run "memory_too_large" {
  command = plan
  variables {
    memory_size = 10241
  }
  expect_failures = [var.memory_size]
}

run "memory_fractional" {
  command = plan
  variables {
    memory_size = 256.5
  }
  expect_failures = [var.memory_size]
}

run "timeout_zero" {
  command = plan
  variables {
    timeout = 0
  }
  expect_failures = [var.timeout]
}

run "timeout_too_long" {
  command = plan
  variables {
    timeout = 901
  }
  expect_failures = [var.timeout]
}

run "reserved_concurrency_below_minus_one" {
  command = plan
  variables {
    reserved_concurrent_executions = -2
  }
  expect_failures = [var.reserved_concurrent_executions]
}

run "tracing_mode_unknown" {
  command = plan
  variables {
    tracing_mode = "On"
  }
  expect_failures = [var.tracing_mode]
}

run "layers_not_arns" {
  command = plan
  variables {
    layers = ["my-layer"]
  }
  expect_failures = [var.layers]
}

run "log_format_unknown" {
  command = plan
  variables {
    log_format = "XML"
  }
  expect_failures = [var.log_format]
}

run "log_retention_not_a_cloudwatch_value" {
  command = plan
  variables {
    log_retention_in_days = 10
  }
  expect_failures = [var.log_retention_in_days]
}

run "log_retention_zero_never_expire_refused" {
  command = plan
  variables {
    log_retention_in_days = 0
  }
  expect_failures = [var.log_retention_in_days]
}

run "log_kms_key_not_an_arn" {
  command = plan
  variables {
    log_kms_key_arn = "alias/logs"
  }
  expect_failures = [var.log_kms_key_arn]
}

run "kms_key_not_an_arn" {
  command = plan
  variables {
    kms_key_arn = "1234abcd-12ab-34cd-56ef-1234567890ab"
  }
  expect_failures = [var.kms_key_arn]
}

run "recursive_loop_unknown" {
  command = plan
  variables {
    recursive_loop = "Ignore"
  }
  expect_failures = [var.recursive_loop]
}

run "reserved_env_var_aws_region" {
  command = plan
  variables {
    environment_variables = { AWS_REGION = "eu-west-1" }
  }
  expect_failures = [var.environment_variables]
}

run "reserved_env_var_credentials" {
  command = plan
  variables {
    environment_variables = { AWS_SECRET_ACCESS_KEY = "x", LOG_LEVEL = "DEBUG" }
  }
  expect_failures = [var.environment_variables]
}

run "reserved_env_var_handler" {
  command = plan
  variables {
    environment_variables = { _HANDLER = "x.y" }
  }
  expect_failures = [var.environment_variables]
}

run "env_var_key_invalid_characters" {
  command = plan
  variables {
    environment_variables = { "LOG-LEVEL" = "DEBUG" }
  }
  expect_failures = [var.environment_variables]
}

run "env_var_plain_keys_pass" {
  command = plan
  variables {
    environment_variables = { LOG_LEVEL = "DEBUG", S3_EVENT_PROCESSOR = "pkg.mod:process" }
  }
}

run "extra_policy_not_json" {
  command = plan
  variables {
    attach_extra_policy = true
    extra_policy_json   = "{not json"
  }
  expect_failures = [var.extra_policy_json]
}

run "extra_policy_without_statement" {
  command = plan
  variables {
    attach_extra_policy = true
    extra_policy_json   = jsonencode({ Version = "2012-10-17" })
  }
  expect_failures = [var.extra_policy_json]
}

run "extra_policy_valid_passes" {
  command = plan
  variables {
    attach_extra_policy = true
    extra_policy_json = jsonencode({
      Version   = "2012-10-17"
      Statement = [{ Effect = "Allow", Action = ["s3:ListBucket"], Resource = ["arn:aws:s3:::validation-bucket-123"] }]
    })
  }
  assert {
    condition     = length(aws_iam_role_policy.extra) == 1
    error_message = "attach_extra_policy with extra_policy_json must add a second role policy."
  }
  assert {
    condition     = aws_iam_role_policy.extra[0].name == "validation-fn-extra" && jsondecode(aws_iam_role_policy.extra[0].policy).Statement[0].Action == ["s3:ListBucket"]
    error_message = "The second role policy must be extra_policy_json."
  }
}

# attach_extra_policy alone decides whether the extra policy exists (so extra_policy_json may be
# unknown at plan time); the two inputs must agree.
run "attach_extra_policy_without_json" {
  command = plan
  variables {
    attach_extra_policy = true
  }
  expect_failures = [aws_iam_role_policy.extra]
}

run "extra_policy_json_without_attach" {
  command = plan
  variables {
    extra_policy_json = jsonencode({
      Version   = "2012-10-17"
      Statement = [{ Effect = "Allow", Action = ["s3:ListBucket"], Resource = ["arn:aws:s3:::validation-bucket-123"] }]
    })
  }
  expect_failures = [aws_iam_role_policy.this]
}

# --- package_file ---------------------------------------------------------------------------

run "package_file_missing" {
  command = plan
  variables {
    package_file = "build/does-not-exist.zip"
  }
  expect_failures = [var.package_file]
}

run "package_file_not_a_zip" {
  command = plan
  variables {
    package_file = "main.tf"
  }
  expect_failures = [var.package_file]
}

run "kms_key_alias_arn_refused" {
  command = plan
  variables {
    kms_key_arn = "arn:aws:kms:us-east-1:123456789012:alias/uploads"
  }
  expect_failures = [var.kms_key_arn]
}
