################################################################################
# Alarms: off unless alarm_actions names SNS topics
################################################################################

locals {
  # Keys depend only on switches and the length of alarm_actions, so they are known at plan.
  alarm_queues = merge(
    local.create_failure_queue ? { failure_queue = { name = local.failure_queue_name, what = "the on-failure queue holds failed events" } } : {},
    local.sqs ? { delivery_dlq = { name = local.delivery_dlq_name, what = "the delivery queue's DLQ holds events that failed queue_max_receive_count times" } } : {},
    local.eventbridge ? { eventbridge_dlq = { name = local.eventbridge_dlq_name, what = "EventBridge could not deliver events to the function" } } : {},
  )
  alarms = length(var.alarm_actions) == 0 ? {} : merge(
    {
      errors = {
        namespace  = "AWS/Lambda"
        metric     = "Errors"
        statistic  = "Sum"
        dimensions = { FunctionName = var.name }
        threshold  = 0
        what       = "the function failed"
      }
      throttles = {
        namespace  = "AWS/Lambda"
        metric     = "Throttles"
        statistic  = "Sum"
        dimensions = { FunctionName = var.name }
        threshold  = 0
        what       = "invocations of the function were throttled"
      }
    },
    {
      for k, q in local.alarm_queues : "${k}_not_empty" => {
        namespace  = "AWS/SQS"
        metric     = "ApproximateNumberOfMessagesVisible"
        statistic  = "Maximum"
        dimensions = { QueueName = q.name }
        threshold  = 0
        what       = q.what
      }
    },
    local.sqs ? {
      queue_oldest_message_age = {
        namespace  = "AWS/SQS"
        metric     = "ApproximateAgeOfOldestMessage"
        statistic  = "Maximum"
        dimensions = { QueueName = local.delivery_queue_name }
        threshold  = var.queue_age_alarm_seconds
        what       = "events wait in the delivery queue longer than ${var.queue_age_alarm_seconds} s"
      }
    } : {},
  )
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name}-${replace(each.key, "_", "-")}"
  alarm_description   = "${var.name}: ${each.value.what}."
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  statistic           = each.value.statistic
  dimensions          = each.value.dimensions
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  period              = 60 # SQS publishes its metrics once a minute
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}
