# Inputs that are unknown at plan time (ARNs and names of resources made in the same apply) must
# not stop the plan: every count and for_each of the module depends only on values known at plan
# time. The mock provider keeps the default override_during (apply), so every computed attribute
# -- the table's ARN, the policy document's JSON, the queue's ARN -- is unknown at plan, as on AWS.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name         = "unknown-at-plan"
  package_file = "build/handler.zip"
}

run "extra_policy_json_unknown_at_plan" {
  command = plan

  module {
    source = "./tests/fixtures/extra-policy-unknown"
  }

  assert {
    condition     = output.document_role_name == "unknown-at-plan-doc" && output.jsonencode_role_name == "unknown-at-plan-json"
    error_message = "The modules given an unknown extra_policy_json must plan."
  }
  assert {
    condition     = output.unknowns_permission_keys == ["mine", "theirs"]
    error_message = "One permission per rule, keyed by rule name, even when a rule's function_arn is unknown."
  }
}

run "delivery_modes_and_alarms_unknown_at_plan" {
  command = plan

  module {
    source = "./tests/fixtures/extra-policy-unknown"
  }

  assert {
    condition     = output.queued_alarm_keys == ["delivery_dlq_not_empty", "errors", "queue_oldest_message_age", "throttles"]
    error_message = "Alarms are planned from the length of alarm_actions, known even when the topic ARN is not; got ${jsonencode(output.queued_alarm_keys)}."
  }
  assert {
    condition     = output.fanout_rule_keys == ["mine/s3:ObjectCreated:*", "theirs/s3:ObjectCreated:*"]
    error_message = "EventBridge rules are keyed by rule and event, known even when a target's ARN is not; got ${jsonencode(output.fanout_rule_keys)}."
  }
}
