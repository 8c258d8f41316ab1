################################################################################
# delivery = "sqs": S3 -> encrypted queue (DLQ by redrive policy) -> event source mapping
################################################################################

locals {
  delivery_queue_name = "${var.name}-events"
  delivery_dlq_name   = "${var.name}-events-dlq"
  # ARNs built from the names, as for the failure queue: the role policy need not wait for the
  # provider's ~25 s settle of each new queue.
  delivery_queue_arn = "arn:${local.partition}:sqs:${data.aws_region.current.name}:${local.account_id}:${local.delivery_queue_name}"
  delivery_dlq_arn   = "arn:${local.partition}:sqs:${data.aws_region.current.name}:${local.account_id}:${local.delivery_dlq_name}"

  # AWS: at least 6 x the function timeout, so a message is not received again while a slow
  # batch is still being processed.
  queue_visibility_timeout = coalesce(var.queue_visibility_timeout_seconds, max(30, 6 * var.timeout))
}

resource "aws_sqs_queue" "delivery_dlq" {
  count = local.sqs ? 1 : 0

  name                      = local.delivery_dlq_name
  message_retention_seconds = var.failure_queue_retention_seconds
  sqs_managed_sse_enabled   = var.kms_key_arn == null ? true : null
  kms_master_key_id         = var.kms_key_arn
  tags                      = var.tags
}

resource "aws_sqs_queue" "delivery" {
  count = local.sqs ? 1 : 0

  name                       = local.delivery_queue_name
  visibility_timeout_seconds = local.queue_visibility_timeout
  message_retention_seconds  = var.failure_queue_retention_seconds
  sqs_managed_sse_enabled    = var.kms_key_arn == null ? true : null
  kms_master_key_id          = var.kms_key_arn
  redrive_policy = jsonencode({
    deadLetterTargetArn = local.delivery_dlq_arn
    maxReceiveCount     = var.queue_max_receive_count
  })

  # Inline, not an aws_sqs_queue_policy: that resource would add its own ~25 s provider wait
  # after the queue's. Only S3, only for this bucket and account.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AllowS3ToSendThisBucketsEvents"
        Effect    = "Allow"
        Principal = { Service = "s3.amazonaws.com" }
        Action    = "sqs:SendMessage"
        Resource  = local.delivery_queue_arn
        Condition = {
          ArnEquals    = { "aws:SourceArn" = local.bucket_arn }
          StringEquals = { "aws:SourceAccount" = local.account_id }
        }
      },
    ]
  })
  tags = var.tags

  # SQS refuses a redrive policy whose DLQ does not exist yet.
  depends_on = [aws_sqs_queue.delivery_dlq]
}

resource "aws_lambda_event_source_mapping" "sqs" {
  count = local.sqs ? 1 : 0

  event_source_arn                   = aws_sqs_queue.delivery[0].arn
  function_name                      = aws_lambda_function.this.arn
  batch_size                         = var.queue_batch_size
  maximum_batching_window_in_seconds = var.queue_batching_window_seconds
  function_response_types            = ["ReportBatchItemFailures"]

  dynamic "scaling_config" {
    for_each = var.queue_maximum_concurrency != null ? [1] : []
    content {
      maximum_concurrency = var.queue_maximum_concurrency
    }
  }

  tags = var.tags

  # Lambda checks on creation that the role may read the queue.
  depends_on = [aws_iam_role_policy.this]
}
