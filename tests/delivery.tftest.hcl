# Delivery modes (direct, sqs, eventbridge), the checks that combine inputs, and alarms: what the
# module plans in each mode. Mock provider: no AWS account needed.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"

  mock_resource "aws_lambda_function" {
    defaults = {
      arn        = "arn:aws:lambda:us-east-1:123456789012:function:modes"
      invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:modes/invocations"
    }
  }
  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:us-east-1:123456789012:modes-events"
      url = "https://sqs.us-east-1.amazonaws.com/123456789012/modes-events"
    }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/modes" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/modes" }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:us-east-1:123456789012:rule/modes-rule" }
  }
  mock_resource "aws_cloudwatch_metric_alarm" {
    defaults = { arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:modes" }
  }
}

variables {
  name         = "modes"
  bucket_name  = "modes-bucket-123"
  package_file = "build/handler.zip"
  notifications = {
    csv = { filter_prefix = "in/", filter_suffix = ".csv" }
  }
}

# --- direct (the default): as before ---------------------------------------------------------

run "direct_is_the_default_and_creates_nothing_else" {
  command = plan

  assert {
    condition     = output.delivery == "direct" && length(aws_lambda_permission.s3) == 1 && length(aws_s3_bucket_notification.this[0].lambda_function) == 1
    error_message = "Direct: one S3 permission and one lambda_function notification per rule."
  }
  assert {
    condition     = length(aws_sqs_queue.delivery) + length(aws_sqs_queue.delivery_dlq) + length(aws_lambda_event_source_mapping.sqs) + length(aws_cloudwatch_event_rule.this) + length(aws_sqs_queue.eventbridge_dlq) + length(aws_cloudwatch_metric_alarm.this) == 0
    error_message = "Direct mode without alarm_actions creates no queue, mapping, EventBridge rule or alarm."
  }
  assert {
    condition     = length(aws_sqs_queue.failures) == 1 && aws_s3_bucket_notification.this[0].eventbridge == false
    error_message = "Direct mode keeps the on-failure queue and leaves EventBridge off."
  }
}

# --- sqs ----------------------------------------------------------------------------------------

run "sqs_queue_dlq_policy_and_mapping" {
  command = plan

  variables {
    delivery                      = "sqs"
    timeout                       = 20
    queue_batch_size              = 50
    queue_batching_window_seconds = 5
    queue_maximum_concurrency     = 4
    queue_max_receive_count       = 3
  }

  assert {
    condition     = aws_sqs_queue.delivery[0].name == "modes-events" && aws_sqs_queue.delivery_dlq[0].name == "modes-events-dlq"
    error_message = "Queue and DLQ are named <name>-events and <name>-events-dlq."
  }
  assert {
    condition     = aws_sqs_queue.delivery[0].sqs_managed_sse_enabled == true && aws_sqs_queue.delivery_dlq[0].sqs_managed_sse_enabled == true
    error_message = "Both queues are encrypted."
  }
  assert {
    condition     = aws_sqs_queue.delivery[0].visibility_timeout_seconds == 120
    error_message = "The visibility timeout defaults to 6 x timeout."
  }
  assert {
    condition     = jsondecode(aws_sqs_queue.delivery[0].redrive_policy) == { deadLetterTargetArn = "arn:aws:sqs:us-east-1:123456789012:modes-events-dlq", maxReceiveCount = 3 }
    error_message = "The redrive policy names the DLQ with queue_max_receive_count."
  }
  assert {
    condition = jsondecode(aws_sqs_queue.delivery[0].policy).Statement == [{
      Sid       = "AllowS3ToSendThisBucketsEvents"
      Effect    = "Allow"
      Principal = { Service = "s3.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = "arn:aws:sqs:us-east-1:123456789012:modes-events"
      Condition = {
        ArnEquals    = { "aws:SourceArn" = "arn:aws:s3:::modes-bucket-123" }
        StringEquals = { "aws:SourceAccount" = "123456789012" }
      }
    }]
    error_message = "The queue admits only s3.amazonaws.com, for this bucket and account."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.sqs[0].batch_size == 50 && aws_lambda_event_source_mapping.sqs[0].maximum_batching_window_in_seconds == 5
    error_message = "Batch size and window come from the variables."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.sqs[0].scaling_config[0].maximum_concurrency == 4 && aws_lambda_event_source_mapping.sqs[0].function_response_types == toset(["ReportBatchItemFailures"])
    error_message = "Maximum concurrency and partial batch responses are set."
  }
  assert {
    condition     = length(aws_s3_bucket_notification.this[0].queue) == 1 && length(aws_s3_bucket_notification.this[0].lambda_function) == 0
    error_message = "S3 notifies the queue, not the function."
  }
  assert {
    condition = [for q in aws_s3_bucket_notification.this[0].queue : {
      id = q.id, arn = q.queue_arn, prefix = q.filter_prefix, suffix = q.filter_suffix, events = q.events
      }] == [{
      id = "csv", arn = "arn:aws:sqs:us-east-1:123456789012:modes-events", prefix = "in/", suffix = ".csv", events = toset(["s3:ObjectCreated:*"])
    }]
    error_message = "Rules become the queue notification's filters."
  }
  assert {
    condition     = length(aws_lambda_permission.s3) == 0 && length(aws_sqs_queue.failures) == 0
    error_message = "No S3 invoke permission and no async on-failure queue: the DLQ keeps failed events."
  }
  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "ConsumeDeliveryQueue"]) == {
      Sid      = "ConsumeDeliveryQueue"
      Effect   = "Allow"
      Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
      Resource = ["arn:aws:sqs:us-east-1:123456789012:modes-events"]
    }
    error_message = "The role may consume the delivery queue and nothing else of SQS."
  }
  assert {
    condition     = !contains([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Sid], "SendFailedEvents")
    error_message = "No on-failure destination statement in sqs mode."
  }
  assert {
    condition     = output.queue_url == "https://sqs.us-east-1.amazonaws.com/123456789012/modes-events" && output.dlq_arn != null
    error_message = "queue_url and dlq_* point at the delivery queue and its DLQ."
  }
}

run "sqs_visibility_below_six_times_timeout_refused" {
  command = plan
  variables {
    delivery                         = "sqs"
    timeout                          = 60
    queue_visibility_timeout_seconds = 300
  }
  expect_failures = [aws_iam_role.this]
}

run "sqs_visibility_six_times_timeout_passes" {
  command = plan
  variables {
    delivery                         = "sqs"
    timeout                          = 60
    queue_visibility_timeout_seconds = 360
  }
}

run "sqs_external_function_refused" {
  command = plan
  variables {
    delivery      = "sqs"
    notifications = { ext = { function_arn = "arn:aws:lambda:us-east-1:123456789012:function:other" } }
  }
  expect_failures = [aws_iam_role.this]
}

run "sqs_large_batch_needs_a_window" {
  command = plan
  variables {
    delivery         = "sqs"
    queue_batch_size = 100
  }
  expect_failures = [aws_iam_role.this]
}

run "sqs_overlapping_rules_still_refused" {
  command = plan
  variables {
    delivery = "sqs"
    notifications = {
      outer = { filter_prefix = "data/" }
      inner = { filter_prefix = "data/raw/" }
    }
  }
  expect_failures = [aws_s3_bucket_notification.this[0]]
}

run "queue_settings_out_of_range" {
  command = plan
  variables {
    queue_batch_size                 = 0
    queue_batching_window_seconds    = 301
    queue_maximum_concurrency        = 1
    queue_visibility_timeout_seconds = 43201
    queue_max_receive_count          = 0
  }
  expect_failures = [var.queue_batch_size, var.queue_batching_window_seconds, var.queue_maximum_concurrency, var.queue_visibility_timeout_seconds, var.queue_max_receive_count]
}

run "delivery_unknown_refused" {
  command = plan
  variables {
    delivery = "kinesis"
  }
  expect_failures = [var.delivery]
}

# --- eventbridge -------------------------------------------------------------------------------

run "eventbridge_rules_targets_permissions" {
  command = plan

  variables {
    delivery = "eventbridge"
    notifications = {
      csv    = { filter_prefix = "in/", filter_suffix = ".csv", events = ["s3:ObjectCreated:*", "s3:ObjectRemoved:Delete"] }
      big    = { filter_prefix = "in/", filter_min_size = 1048576 }
      star   = { filter_suffix = "*.x" }
      others = { filter_prefix = "in/", function_arn = "arn:aws:lambda:us-east-1:123456789012:function:second" }
    }
  }

  assert {
    condition     = toset(keys(aws_cloudwatch_event_rule.this)) == toset(["csv/s3:ObjectCreated:*", "csv/s3:ObjectRemoved:Delete", "big/s3:ObjectCreated:*", "star/s3:ObjectCreated:*", "others/s3:ObjectCreated:*"])
    error_message = "One EventBridge rule per rule and event; overlapping rules are allowed."
  }
  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.this["csv/s3:ObjectCreated:*"].event_pattern) == {
      source        = ["aws.s3"]
      "detail-type" = ["Object Created"]
      detail        = { bucket = { name = ["modes-bucket-123"] }, object = { key = [{ wildcard = "in/*.csv" }] } }
    }
    error_message = "Prefix AND suffix become one wildcard; got ${aws_cloudwatch_event_rule.this["csv/s3:ObjectCreated:*"].event_pattern}."
  }
  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.this["csv/s3:ObjectRemoved:Delete"].event_pattern).detail == {
      bucket          = { name = ["modes-bucket-123"] }
      object          = { key = [{ wildcard = "in/*.csv" }] }
      reason          = ["DeleteObject"]
      "deletion-type" = ["Permanently Deleted"]
    }
    error_message = "ObjectRemoved:Delete maps to Object Deleted, reason DeleteObject, Permanently Deleted."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.this["big/s3:ObjectCreated:*"].event_pattern).detail.object == { key = [{ prefix = "in/" }], size = [{ numeric = [">=", 1048576] }] }
    error_message = "filter_min_size becomes a numeric filter on the object size."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.this["star/s3:ObjectCreated:*"].event_pattern).detail.object == { key = [{ suffix = "%2A.x" }] }
    error_message = "A suffix alone is a suffix filter, URL-encoded like the keys."
  }
  assert {
    condition     = aws_cloudwatch_event_target.this["others/s3:ObjectCreated:*"].arn == "arn:aws:lambda:us-east-1:123456789012:function:second" && aws_cloudwatch_event_target.this["csv/s3:ObjectCreated:*"].arn == "arn:aws:lambda:us-east-1:123456789012:function:modes"
    error_message = "Each rule targets its function."
  }
  assert {
    condition     = alltrue([for t in aws_cloudwatch_event_target.this : t.retry_policy[0].maximum_retry_attempts == 185 && t.retry_policy[0].maximum_event_age_in_seconds == 86400 && t.dead_letter_config[0].arn == "arn:aws:sqs:us-east-1:123456789012:modes-eventbridge-dlq"])
    error_message = "Every target has a retry policy and the DLQ."
  }
  assert {
    condition     = alltrue([for k, p in aws_lambda_permission.eventbridge : p.principal == "events.amazonaws.com" && p.source_arn == aws_cloudwatch_event_rule.this[k].arn]) && length(aws_lambda_permission.eventbridge) == 5
    error_message = "One permission per EventBridge rule: principal events.amazonaws.com, source the rule's ARN."
  }
  assert {
    condition     = aws_s3_bucket_notification.this[0].eventbridge == true && length(aws_s3_bucket_notification.this[0].lambda_function) == 0 && length(aws_lambda_permission.s3) == 0
    error_message = "The bucket sends its events to EventBridge, and to nothing else."
  }
  assert {
    condition     = jsondecode(aws_sqs_queue.eventbridge_dlq[0].policy).Statement[0].Condition.ArnEquals["aws:SourceArn"] == [for k in sort(keys(aws_cloudwatch_event_rule.this)) : "arn:aws:events:us-east-1:123456789012:rule/${aws_cloudwatch_event_rule.this[k].name}"]
    error_message = "The target DLQ admits exactly this module's rules."
  }
  assert {
    condition     = length(aws_sqs_queue.failures) == 1
    error_message = "Failures inside the function still go to the on-failure queue."
  }
}

run "eventbridge_filters_are_url_encoded_like_the_keys" {
  command = plan
  variables {
    delivery      = "eventbridge"
    notifications = { odd = { filter_prefix = "My Photos/a*b/", filter_suffix = "+1.c\\d" } }
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.this["odd/s3:ObjectCreated:*"].event_pattern).detail.object.key == [{ wildcard = "My+Photos/a%2Ab/*%2B1.c%5Cd" }]
    error_message = "Filters are encoded as S3 encodes keys in EventBridge events (space '+', '/' kept), so no wildcard character is left in them; got ${aws_cloudwatch_event_rule.this["odd/s3:ObjectCreated:*"].event_pattern}."
  }
}

run "eventbridge_rule_names_fit_64_characters" {
  command = plan
  variables {
    delivery      = "eventbridge"
    name          = "a-very-long-function-name-that-uses-most-of-the-55-char"
    notifications = { "a-rule-name-that-is-also-quite-long-for-sure" = { events = ["s3:LifecycleExpiration:DeleteMarkerCreated"] } }
  }
  assert {
    condition     = alltrue([for r in aws_cloudwatch_event_rule.this : length(r.name) <= 64])
    error_message = "EventBridge rule names are at most 64 characters."
  }
}

run "eventbridge_refuses_events_it_never_receives" {
  command = plan
  variables {
    delivery      = "eventbridge"
    notifications = { repl = { events = ["s3:Replication:*"] } }
  }
  expect_failures = [aws_iam_role.this]
}

run "eventbridge_refuses_a_wildcard_beside_its_member" {
  command = plan
  variables {
    delivery      = "eventbridge"
    notifications = { both = { events = ["s3:ObjectCreated:*", "s3:ObjectCreated:Put"] } }
  }
  expect_failures = [aws_iam_role.this]
}

run "min_size_needs_eventbridge" {
  command = plan
  variables {
    notifications = { big = { filter_min_size = 10 } }
  }
  expect_failures = [aws_iam_role.this]
}

run "another_stack_owns_the_notification" {
  command = plan
  variables {
    delivery                   = "eventbridge"
    create_bucket              = false
    manage_bucket_notification = false
  }
  assert {
    condition     = length(aws_s3_bucket_notification.this) == 0 && output.notification_id == null
    error_message = "With manage_bucket_notification = false the bucket's notification configuration is left alone."
  }
  assert {
    condition     = length(aws_cloudwatch_event_rule.this) == 1
    error_message = "The module still attaches its EventBridge rule."
  }
}

run "unmanaged_notification_needs_eventbridge_and_an_existing_bucket" {
  command = plan
  variables {
    delivery                   = "direct"
    create_bucket              = false
    manage_bucket_notification = false
  }
  expect_failures = [aws_iam_role.this]
}

run "unmanaged_notification_still_catches_loops" {
  command = plan
  variables {
    delivery                   = "eventbridge"
    create_bucket              = false
    manage_bucket_notification = false
    notifications              = { all = {} }
    output_prefix              = "out/"
  }
  expect_failures = [aws_iam_role.this]
}

# --- alarms ------------------------------------------------------------------------------------

run "no_alarms_without_actions" {
  command = plan
  variables {
    delivery = "sqs"
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.this) == 0 && output.alarm_arns == {}
    error_message = "Alarms are off unless alarm_actions is given."
  }
}

run "alarms_direct" {
  command = plan
  variables {
    alarm_actions = ["arn:aws:sns:us-east-1:123456789012:ops"]
  }
  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.this)) == toset(["errors", "throttles", "failure_queue_not_empty"])
    error_message = "Direct: Errors, Throttles and the on-failure queue."
  }
  assert {
    condition = {
      for k, a in aws_cloudwatch_metric_alarm.this : k => {
        name    = a.alarm_name, ns = a.namespace, metric = a.metric_name, stat = a.statistic, dims = a.dimensions,
        op      = a.comparison_operator, threshold = a.threshold, period = a.period, periods = a.evaluation_periods,
        missing = a.treat_missing_data, actions = a.alarm_actions, ok = a.ok_actions
      }
      } == {
      errors = {
        name    = "modes-errors", ns = "AWS/Lambda", metric = "Errors", stat = "Sum", dims = tomap({ FunctionName = "modes" }),
        op      = "GreaterThanThreshold", threshold = 0, period = 60, periods = 1, missing = "notBreaching",
        actions = toset(["arn:aws:sns:us-east-1:123456789012:ops"]), ok = toset(["arn:aws:sns:us-east-1:123456789012:ops"])
      }
      throttles = {
        name    = "modes-throttles", ns = "AWS/Lambda", metric = "Throttles", stat = "Sum", dims = tomap({ FunctionName = "modes" }),
        op      = "GreaterThanThreshold", threshold = 0, period = 60, periods = 1, missing = "notBreaching",
        actions = toset(["arn:aws:sns:us-east-1:123456789012:ops"]), ok = toset(["arn:aws:sns:us-east-1:123456789012:ops"])
      }
      failure_queue_not_empty = {
        name    = "modes-failure-queue-not-empty", ns = "AWS/SQS", metric = "ApproximateNumberOfMessagesVisible", stat = "Maximum",
        dims    = tomap({ QueueName = "modes-failures" }), op = "GreaterThanThreshold", threshold = 0, period = 60, periods = 1,
        missing = "notBreaching", actions = toset(["arn:aws:sns:us-east-1:123456789012:ops"]), ok = toset(["arn:aws:sns:us-east-1:123456789012:ops"])
      }
    }
    error_message = "Alarm definitions: ${jsonencode({ for k, a in aws_cloudwatch_metric_alarm.this : k => [a.alarm_name, a.metric_name, a.dimensions] })}."
  }
}

run "alarms_sqs" {
  command = plan
  variables {
    delivery                = "sqs"
    alarm_actions           = ["arn:aws:sns:us-east-1:123456789012:ops"]
    queue_age_alarm_seconds = 900
  }
  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.this)) == toset(["errors", "throttles", "delivery_dlq_not_empty", "queue_oldest_message_age"])
    error_message = "SQS: Errors, Throttles, the DLQ and the oldest message's age."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.this["queue_oldest_message_age"].metric_name == "ApproximateAgeOfOldestMessage" && aws_cloudwatch_metric_alarm.this["queue_oldest_message_age"].threshold == 900 && aws_cloudwatch_metric_alarm.this["queue_oldest_message_age"].dimensions == tomap({ QueueName = "modes-events" })
    error_message = "The age alarm watches the delivery queue with queue_age_alarm_seconds."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.this["delivery_dlq_not_empty"].dimensions == tomap({ QueueName = "modes-events-dlq" })
    error_message = "The DLQ alarm watches the DLQ."
  }
}

run "alarms_eventbridge" {
  command = plan
  variables {
    delivery      = "eventbridge"
    alarm_actions = ["arn:aws:sns:us-east-1:123456789012:ops"]
  }
  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.this)) == toset(["errors", "throttles", "failure_queue_not_empty", "eventbridge_dlq_not_empty"])
    error_message = "EventBridge: Errors, Throttles, the on-failure queue and the target DLQ."
  }
}

run "alarm_actions_must_be_topics" {
  command = plan
  variables {
    alarm_actions = ["arn:aws:sqs:us-east-1:123456789012:not-a-topic"]
  }
  expect_failures = [var.alarm_actions]
}
