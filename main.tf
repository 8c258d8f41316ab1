data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id

  bucket_id  = var.create_bucket ? aws_s3_bucket.this[0].id : var.bucket_name
  bucket_arn = "arn:${local.partition}:s3:::${var.bucket_name}"

  log_group_name = "/aws/lambda/${var.name}"

  direct      = var.delivery == "direct"
  sqs         = var.delivery == "sqs"
  eventbridge = var.delivery == "eventbridge"

  # Rules that invoke the module's own function, and the prefixes its role may read.
  own_rules     = { for k, r in var.notifications : k => r if r.function_arn == null }
  read_prefixes = distinct([for r in values(local.own_rules) : r.filter_prefix])

  # Lambda limits statement ids to 100 characters: a long name + rule name is cut and made
  # unique again with a hash of the full id.
  permission_statement_ids = {
    for k in keys(var.notifications) : k => (
      length("AllowS3Invoke-${var.name}-${k}") <= 100
      ? "AllowS3Invoke-${var.name}-${k}"
      : "${substr("AllowS3Invoke-${var.name}-${k}", 0, 83)}-${substr(sha256("AllowS3Invoke-${var.name}-${k}"), 0, 16)}"
    )
  }

  # create_failure_queue decides alone whether the queue exists, so the count is known at plan
  # time even when failure_destination_arn comes from a resource created in the same apply.
  # With delivery = sqs the queue's DLQ (sqs.tf) keeps failed events instead: the event source
  # mapping invokes synchronously, so no async on-failure destination applies.
  create_failure_queue    = var.create_failure_queue && !local.sqs
  has_failure_destination = local.create_failure_queue || (var.failure_destination_arn != null && !local.sqs)
  # The module's queue ARN is built from its name, not read from the resource: the AWS provider
  # waits ~25 s for a new queue's attributes to settle, and the role policy (and so the function)
  # need not wait for that. The invoke config, which uses the queue, depends on it explicitly.
  failure_queue_name       = "${var.name}-failures"
  failure_destination_arn  = local.create_failure_queue ? "arn:${local.partition}:sqs:${data.aws_region.current.name}:${local.account_id}:${local.failure_queue_name}" : var.failure_destination_arn
  failure_destination_type = local.create_failure_queue ? "sqs" : try(split(":", var.failure_destination_arn)[2], null)
  failure_actions = {
    sqs    = ["sqs:SendMessage"]
    sns    = ["sns:Publish"]
    lambda = ["lambda:InvokeFunction"]
    events = ["events:PutEvents"]
    s3     = ["s3:PutObject", "s3:ListBucket"] # one object per failed event, in the bucket
  }

  # S3 rejects a notification configuration in which two rules could match the same object for
  # the same event ("Configuration is ambiguously defined"): events overlap (a wildcard overlaps
  # its members), one prefix is a prefix of the other (empty overlaps every prefix) and one
  # suffix ends the other. EventBridge rules may overlap, so delivery = eventbridge allows it.
  overlapping_rules = flatten([
    for i, a in keys(var.notifications) : [
      for j, b in keys(var.notifications) : "\"${a}\" and \"${b}\""
      if i < j
      && (startswith(var.notifications[a].filter_prefix, var.notifications[b].filter_prefix) || startswith(var.notifications[b].filter_prefix, var.notifications[a].filter_prefix))
      && (endswith(var.notifications[a].filter_suffix, var.notifications[b].filter_suffix) || endswith(var.notifications[b].filter_suffix, var.notifications[a].filter_suffix))
      && anytrue(flatten([for x in var.notifications[a].events : [for y in var.notifications[b].events : x == y || (endswith(x, ":*") && startswith(y, trimsuffix(x, "*"))) || (endswith(y, ":*") && startswith(x, trimsuffix(y, "*")))]]))
    ]
  ])

  # Output keys that any rule of the module's own function would match: the function would
  # trigger itself in a loop.
  loop_rules = var.output_prefix == null ? [] : [
    for k, r in local.own_rules : k
    if startswith(var.output_prefix, r.filter_prefix) || startswith(r.filter_prefix, var.output_prefix)
  ]

  function_policy = {
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "WriteOwnLogGroup"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = ["${aws_cloudwatch_log_group.this.arn}:*"]
        },
      ],
      length(local.read_prefixes) > 0 ? [
        {
          Sid      = "ReadMatchedObjects"
          Effect   = "Allow"
          Action   = ["s3:GetObject", "s3:GetObjectVersion"]
          Resource = [for p in local.read_prefixes : "${local.bucket_arn}/${p}*"]
        },
        {
          # Without it S3 answers a read of a deleted object with AccessDenied instead of
          # NoSuchKey, and handler.objects could not say "deleted since the event". It shows key
          # names only (an s3:prefix condition cannot be used: GetObject carries no prefix).
          Sid      = "ListBucketToTellDeletedFromDenied"
          Effect   = "Allow"
          Action   = ["s3:ListBucket"]
          Resource = [local.bucket_arn]
        },
      ] : [],
      var.output_prefix != null ? [
        {
          Sid      = "WriteOutputPrefix"
          Effect   = "Allow"
          Action   = ["s3:PutObject"]
          Resource = ["${local.bucket_arn}/${var.output_prefix}*"]
        },
      ] : [],
      # Reading needs Decrypt; writing SSE-KMS objects and sending to the KMS-encrypted failure
      # queue (Lambda sends failed events with this role) also need GenerateDataKey.
      var.kms_key_arn != null ? [
        {
          Sid      = "UseBucketKey"
          Effect   = "Allow"
          Action   = var.output_prefix != null || local.create_failure_queue ? ["kms:Decrypt", "kms:GenerateDataKey"] : ["kms:Decrypt"]
          Resource = [var.kms_key_arn]
        },
      ] : [],
      local.has_failure_destination ? [
        {
          Sid      = "SendFailedEvents"
          Effect   = "Allow"
          Action   = local.failure_actions[local.failure_destination_type]
          Resource = local.failure_destination_type == "s3" ? [local.failure_destination_arn, "${local.failure_destination_arn}/*"] : [local.failure_destination_arn]
        },
      ] : [],
      local.sqs ? [
        {
          Sid      = "ConsumeDeliveryQueue"
          Effect   = "Allow"
          Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
          Resource = [local.delivery_queue_arn]
        },
      ] : [],
      var.tracing_mode == "Active" ? [
        {
          Sid      = "WriteTraces"
          Effect   = "Allow"
          Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
          Resource = ["*"] # X-Ray has no resource-level permissions.
        },
      ] : [],
    )
  }
}

################################################################################
# Bucket (created with secure defaults, or an existing one)
################################################################################

resource "aws_s3_bucket" "this" {
  count = var.create_bucket ? 1 : 0

  bucket        = var.bucket_name
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "this" {
  count = var.create_bucket && var.block_public_access ? 1 : 0

  bucket                  = aws_s3_bucket.this[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  count = var.create_bucket && var.enforce_bucket_owner ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  count = var.create_bucket ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = var.kms_key_arn != null
  }
}

resource "aws_s3_bucket_versioning" "this" {
  count = var.create_bucket && var.versioning ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_policy" "tls_only" {
  count = var.create_bucket && var.require_tls ? 1 : 0

  bucket = aws_s3_bucket.this[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [local.bucket_arn, "${local.bucket_arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })

  # A bucket policy is refused while public access settings are being written.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

################################################################################
# Function: role, log group, code
################################################################################

resource "aws_iam_role" "this" {
  name = var.name

  # Checks that combine inputs (a variable validation may read only its own variable before
  # Terraform 1.9). On the role: it exists in every configuration.
  lifecycle {
    precondition {
      condition     = var.manage_bucket_notification || (local.eventbridge && !var.create_bucket)
      error_message = "manage_bucket_notification = false needs delivery = \"eventbridge\" and create_bucket = false (EventBridge turned on for an existing bucket elsewhere); with delivery = \"${var.delivery}\"${var.create_bucket ? " and create_bucket = true" : ""} the module must write the bucket's notification configuration."
    }
    precondition {
      condition     = !local.sqs || alltrue([for r in values(var.notifications) : r.function_arn == null])
      error_message = "notifications: rule(s) ${join(", ", [for k, r in var.notifications : k if r.function_arn != null])} set function_arn, which delivery = \"sqs\" cannot honour (the queue feeds the module's function only). Use delivery = \"direct\" or \"eventbridge\", or remove function_arn."
    }
    precondition {
      condition     = !local.sqs || local.queue_visibility_timeout >= 6 * var.timeout
      error_message = "queue_visibility_timeout_seconds = ${local.queue_visibility_timeout} is less than 6 x timeout (${6 * var.timeout} s): a message would be received again while its batch is still running. Raise it to at least ${6 * var.timeout}, or leave it null (6 x timeout)."
    }
    precondition {
      condition     = !local.sqs || var.queue_batch_size <= 10 || var.queue_batching_window_seconds >= 1
      error_message = "queue_batch_size = ${var.queue_batch_size} needs queue_batching_window_seconds >= 1 (SQS event source mappings allow more than 10 messages per batch only with a batching window)."
    }
    precondition {
      condition     = local.eventbridge || alltrue([for r in values(var.notifications) : r.filter_min_size == null])
      error_message = "notifications: filter_min_size (rule(s) ${join(", ", [for k, r in var.notifications : k if r.filter_min_size != null])}) needs delivery = \"eventbridge\"; S3 notification filters know only prefix and suffix."
    }
    precondition {
      condition     = !local.eventbridge || length(local.eventbridge_unsupported) == 0
      error_message = "notifications: ${join(", ", local.eventbridge_unsupported)}: S3 does not send these events to EventBridge (Replication and ReducedRedundancyLostObject). Use delivery = \"direct\" or \"sqs\" for them."
    }
    precondition {
      condition     = !local.eventbridge || length(local.eventbridge_doubled) == 0
      error_message = "notifications: ${join(", ", local.eventbridge_doubled)} is already matched by a wildcard of the same rule: with delivery = \"eventbridge\" each event becomes its own EventBridge rule, so the object would be processed twice. Keep only the wildcard or only the specific events."
    }
    precondition {
      condition     = var.manage_bucket_notification || length(local.loop_rules) == 0
      error_message = "output_prefix \"${coalesce(var.output_prefix, "-")}\" is matched by rule(s) ${join(", ", local.loop_rules)}, which invoke this module's function: every object it writes would invoke it again (a loop). Choose an output_prefix that no such rule's filter_prefix starts or is started by."
    }
  }

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Service = "lambda.amazonaws.com" }
        Action    = "sts:AssumeRole"
      },
    ]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.name}-least-privilege"
  role   = aws_iam_role.this.id
  policy = jsonencode(local.function_policy)

  lifecycle {
    # Checked on resources, not in a variable validation: a validation that reads another
    # variable needs Terraform >= 1.9. A JSON unknown at plan time (built from a resource made in
    # the same apply) leaves the condition unknown, and Terraform checks it again at apply.
    precondition {
      condition     = var.attach_extra_policy || var.extra_policy_json == null
      error_message = "extra_policy_json is set but attach_extra_policy is false, so the policy would not be attached: set attach_extra_policy = true (it alone decides whether the extra policy exists, so extra_policy_json may be unknown until apply), or remove extra_policy_json."
    }
  }
}

resource "aws_iam_role_policy" "extra" {
  # attach_extra_policy alone decides the count: extra_policy_json is often built from resources
  # made in the same apply (data.aws_iam_policy_document over a new table's ARN), and a count
  # that depends on it would be unknown at plan ("Invalid count argument").
  count = var.attach_extra_policy ? 1 : 0

  name   = "${var.name}-extra"
  role   = aws_iam_role.this.id
  policy = var.extra_policy_json

  lifecycle {
    precondition {
      condition     = var.extra_policy_json != null
      error_message = "attach_extra_policy is true but extra_policy_json is null: pass the policy document (JSON) in extra_policy_json, or set attach_extra_policy = false."
    }
  }
}

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "this" {
  function_name    = var.name
  role             = aws_iam_role.this.arn
  handler          = var.handler
  runtime          = var.runtime
  filename         = var.package_file
  source_code_hash = filebase64sha256(var.package_file)
  architectures    = [var.architecture]
  memory_size      = var.memory_size
  timeout          = var.timeout
  layers           = var.layers

  reserved_concurrent_executions = var.reserved_concurrent_executions

  dynamic "environment" {
    for_each = length(local.function_environment) > 0 ? [1] : []
    content {
      variables = local.function_environment
    }
  }

  dynamic "tracing_config" {
    for_each = var.tracing_mode != null ? [1] : []
    content {
      mode = var.tracing_mode
    }
  }

  logging_config {
    log_format = var.log_format
    log_group  = aws_cloudwatch_log_group.this.name
  }

  tags = var.tags

  # The role must be able to write logs before the first invocation, and the log group must
  # exist so Lambda does not create one without retention.
  depends_on = [aws_iam_role_policy.this, aws_cloudwatch_log_group.this]
}

locals {
  function_environment = merge(
    var.output_prefix != null ? { S3_OUTPUT_BUCKET = var.bucket_name, S3_OUTPUT_PREFIX = var.output_prefix } : {},
    var.environment_variables,
  )
}

resource "aws_lambda_function_recursion_config" "this" {
  function_name  = aws_lambda_function.this.function_name
  recursive_loop = var.recursive_loop
}

################################################################################
# Failure handling: retries and the on-failure destination
################################################################################

resource "aws_sqs_queue" "failures" {
  count = local.create_failure_queue ? 1 : 0

  name                      = local.failure_queue_name
  message_retention_seconds = var.failure_queue_retention_seconds
  sqs_managed_sse_enabled   = var.kms_key_arn == null ? true : null
  kms_master_key_id         = var.kms_key_arn
  tags                      = var.tags
}

resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = var.maximum_retry_attempts
  maximum_event_age_in_seconds = var.maximum_event_age_in_seconds

  dynamic "destination_config" {
    for_each = local.has_failure_destination ? [1] : []
    content {
      on_failure {
        destination = local.failure_destination_arn
      }
    }
  }

  lifecycle {
    precondition {
      condition     = !(var.create_failure_queue && var.failure_destination_arn != null)
      error_message = "failure_destination_arn is set while create_failure_queue is true: set create_failure_queue = false to send failed events to ${coalesce(var.failure_destination_arn, "-")} instead of the module's queue."
    }
  }

  # Lambda checks that the destination exists and that the role may send to it.
  depends_on = [aws_iam_role_policy.this, aws_sqs_queue.failures]
}

################################################################################
# S3 -> Lambda: permissions, then the bucket's one notification configuration
################################################################################

resource "aws_lambda_permission" "s3" {
  # One permission per rule, keyed by the rule's name: the keys stay known at plan time even
  # when a rule's function_arn comes from a function created in the same apply. Direct delivery
  # only (sqs: the event source mapping polls; eventbridge: eventbridge.tf grants its rules).
  for_each = local.direct ? var.notifications : {}

  statement_id   = local.permission_statement_ids[each.key]
  action         = "lambda:InvokeFunction"
  function_name  = coalesce(each.value.function_arn, aws_lambda_function.this.arn)
  principal      = "s3.amazonaws.com"
  source_arn     = local.bucket_arn
  source_account = local.account_id
}

resource "aws_s3_bucket_notification" "this" {
  count = var.manage_bucket_notification ? 1 : 0

  bucket      = local.bucket_id
  eventbridge = var.enable_eventbridge || local.eventbridge

  dynamic "lambda_function" {
    for_each = local.direct ? var.notifications : {}
    content {
      id                  = lambda_function.key
      lambda_function_arn = coalesce(lambda_function.value.function_arn, aws_lambda_function.this.arn)
      events              = lambda_function.value.events
      filter_prefix       = lambda_function.value.filter_prefix != "" ? lambda_function.value.filter_prefix : null
      filter_suffix       = lambda_function.value.filter_suffix != "" ? lambda_function.value.filter_suffix : null
    }
  }

  dynamic "queue" {
    for_each = local.sqs ? var.notifications : {}
    content {
      id            = queue.key
      queue_arn     = local.delivery_queue_arn
      events        = queue.value.events
      filter_prefix = queue.value.filter_prefix != "" ? queue.value.filter_prefix : null
      filter_suffix = queue.value.filter_suffix != "" ? queue.value.filter_suffix : null
    }
  }

  lifecycle {
    precondition {
      condition     = local.eventbridge || length(local.overlapping_rules) == 0
      error_message = "notifications: rules ${join("; ", local.overlapping_rules)} overlap: S3 would reject them as ambiguous. Two rules may share events only when neither prefix starts the other or neither suffix ends the other (an empty prefix or suffix matches all). With delivery = \"eventbridge\" rules may overlap."
    }
    precondition {
      condition     = length(local.loop_rules) == 0
      error_message = "output_prefix \"${coalesce(var.output_prefix, "-")}\" is matched by rule(s) ${join(", ", local.loop_rules)}, which invoke this module's function: every object it writes would invoke it again (a loop). Choose an output_prefix that no such rule's filter_prefix starts or is started by."
    }
  }

  # S3 validates each destination with a test invoke, so every permission must exist first;
  # a concurrent PutBucketPolicy fails PutBucketNotification with OperationAborted.
  depends_on = [
    aws_lambda_permission.s3,
    aws_sqs_queue.delivery, # S3 sends a test message: the queue (and its policy) must exist
    aws_lambda_event_source_mapping.sqs,
    aws_s3_bucket_policy.tls_only,
    aws_s3_bucket_public_access_block.this,
    aws_s3_bucket_ownership_controls.this,
    aws_s3_bucket_server_side_encryption_configuration.this,
    aws_s3_bucket_versioning.this,
  ]
}

# Existing direct-mode stacks plan no change: the notification only gained a count (it is left
# out when another stack turns EventBridge on for the bucket).
moved {
  from = aws_s3_bucket_notification.this
  to   = aws_s3_bucket_notification.this[0]
}
