################################################################################
# delivery = "eventbridge": S3 -> EventBridge -> one rule per notification rule and event
################################################################################

locals {
  # S3 notification event -> EventBridge detail types, and the detail fields that narrow a
  # detail type down to that event. Replication and ReducedRedundancyLostObject events are not
  # sent to EventBridge.
  eventbridge_events = {
    "s3:ObjectCreated:*"                         = { types = ["Object Created"], detail = {} }
    "s3:ObjectCreated:Put"                       = { types = ["Object Created"], detail = { reason = ["PutObject"] } }
    "s3:ObjectCreated:Post"                      = { types = ["Object Created"], detail = { reason = ["POST Object"] } }
    "s3:ObjectCreated:Copy"                      = { types = ["Object Created"], detail = { reason = ["CopyObject"] } }
    "s3:ObjectCreated:CompleteMultipartUpload"   = { types = ["Object Created"], detail = { reason = ["CompleteMultipartUpload"] } }
    "s3:ObjectRemoved:*"                         = { types = ["Object Deleted"], detail = { reason = ["DeleteObject"] } }
    "s3:ObjectRemoved:Delete"                    = { types = ["Object Deleted"], detail = { reason = ["DeleteObject"], "deletion-type" = ["Permanently Deleted"] } }
    "s3:ObjectRemoved:DeleteMarkerCreated"       = { types = ["Object Deleted"], detail = { reason = ["DeleteObject"], "deletion-type" = ["Delete Marker Created"] } }
    "s3:LifecycleExpiration:*"                   = { types = ["Object Deleted"], detail = { reason = ["Lifecycle Expiration"] } }
    "s3:LifecycleExpiration:Delete"              = { types = ["Object Deleted"], detail = { reason = ["Lifecycle Expiration"], "deletion-type" = ["Permanently Deleted"] } }
    "s3:LifecycleExpiration:DeleteMarkerCreated" = { types = ["Object Deleted"], detail = { reason = ["Lifecycle Expiration"], "deletion-type" = ["Delete Marker Created"] } }
    "s3:ObjectRestore:*"                         = { types = ["Object Restore Initiated", "Object Restore Completed", "Object Restore Expired"], detail = {} }
    "s3:ObjectRestore:Post"                      = { types = ["Object Restore Initiated"], detail = {} }
    "s3:ObjectRestore:Completed"                 = { types = ["Object Restore Completed"], detail = {} }
    "s3:ObjectRestore:Delete"                    = { types = ["Object Restore Expired"], detail = {} }
    "s3:ObjectTagging:*"                         = { types = ["Object Tags Added", "Object Tags Deleted"], detail = {} }
    "s3:ObjectTagging:Put"                       = { types = ["Object Tags Added"], detail = {} }
    "s3:ObjectTagging:Delete"                    = { types = ["Object Tags Deleted"], detail = {} }
    "s3:ObjectAcl:Put"                           = { types = ["Object ACL Updated"], detail = {} }
    "s3:LifecycleTransition"                     = { types = ["Object Storage Class Changed"], detail = {} }
    "s3:IntelligentTiering"                      = { types = ["Object Access Tier Changed"], detail = {} }
  }

  # Events of the rules that EventBridge cannot deliver, and rules listing a wildcard beside one
  # of its members (both would match: two invocations per object).
  eventbridge_unsupported = distinct(flatten([
    for k, r in var.notifications : [for e in r.events : "${k}: ${e}" if !contains(keys(local.eventbridge_events), e)]
  ]))
  eventbridge_doubled = distinct(flatten([
    for k, r in var.notifications : [
      for e in r.events : "${k}: ${e}" if anytrue([for w in r.events : w != e && endswith(w, ":*") && startswith(e, trimsuffix(w, "*"))])
    ]
  ]))

  # S3 URL-encodes the key in EventBridge events ("+" for space, "/" kept), and patterns match
  # that text: the filters are encoded the same way.
  eventbridge_encoded = {
    for k, r in var.notifications : k => {
      prefix = replace(urlencode(r.filter_prefix), "%2F", "/")
      suffix = replace(urlencode(r.filter_suffix), "%2F", "/")
    }
  }

  # One EventBridge rule per (notification rule, event): keys are static ("rule/event"). The
  # pattern is encoded here so that every value has the same type.
  eventbridge_rules = {
    for item in flatten([
      for k, r in var.notifications : [
        for e in r.events : {
          key          = "${k}/${e}"
          rule         = k
          event        = e
          function_arn = r.function_arn
          full_name    = "${var.name}-${k}-${replace(replace(trimprefix(e, "s3:"), ":", "-"), "*", "all")}"
          pattern = jsonencode({
            source        = ["aws.s3"]
            "detail-type" = try(local.eventbridge_events[e].types, [])
            detail = merge(
              { bucket = { name = [var.bucket_name] } },
              {
                for _ in(r.filter_prefix != "" || r.filter_suffix != "" || r.filter_min_size != null ? [1] : []) : "object" => merge(
                  {
                    for _ in(r.filter_prefix != "" || r.filter_suffix != "" ? [1] : []) : "key" => [
                      r.filter_suffix == "" ? tomap({ prefix = local.eventbridge_encoded[k].prefix }) : (
                        r.filter_prefix == "" ? tomap({ suffix = local.eventbridge_encoded[k].suffix }) :
                        # prefix AND suffix: one wildcard (encoded, so no "*" or "\" is left in them)
                        tomap({ wildcard = "${local.eventbridge_encoded[k].prefix}*${local.eventbridge_encoded[k].suffix}" })
                      )
                    ]
                  },
                  { for _ in(r.filter_min_size != null ? [1] : []) : "size" => [{ numeric = [">=", r.filter_min_size] }] },
                )
              },
              try(local.eventbridge_events[e].detail, {}),
            )
          })
        }
      ]
    ]) : item.key => item if local.eventbridge
  }

  # EventBridge rule names: at most 64 characters; long ones are cut and made unique by a hash.
  eventbridge_rule_names = {
    for key, r in local.eventbridge_rules : key => (
      length(r.full_name) <= 64 ? r.full_name : "${substr(r.full_name, 0, 47)}-${substr(sha256(r.full_name), 0, 16)}"
    )
  }

  eventbridge_dlq_name = "${var.name}-eventbridge-dlq"
  eventbridge_dlq_arn  = "arn:${local.partition}:sqs:${data.aws_region.current.name}:${local.account_id}:${local.eventbridge_dlq_name}"
}

resource "aws_cloudwatch_event_rule" "this" {
  for_each = local.eventbridge_rules

  name          = local.eventbridge_rule_names[each.key]
  description   = "S3 ${each.value.event} in ${var.bucket_name} (rule ${each.value.rule}) -> ${coalesce(each.value.function_arn, var.name)}"
  event_pattern = each.value.pattern
  tags          = var.tags
}

resource "aws_cloudwatch_event_target" "this" {
  for_each = local.eventbridge_rules

  rule = aws_cloudwatch_event_rule.this[each.key].name
  arn  = coalesce(each.value.function_arn, aws_lambda_function.this.arn)

  retry_policy {
    maximum_retry_attempts       = var.eventbridge_maximum_retry_attempts
    maximum_event_age_in_seconds = var.eventbridge_maximum_event_age_seconds
  }

  # Events EventBridge could not deliver to the function (failures inside the function are
  # async-invoke failures: retried, then the function's on-failure destination, as with direct).
  dead_letter_config {
    arn = local.eventbridge_dlq_arn
  }

  depends_on = [aws_lambda_permission.eventbridge, aws_sqs_queue.eventbridge_dlq]
}

resource "aws_lambda_permission" "eventbridge" {
  for_each = local.eventbridge_rules

  statement_id  = "AllowEventBridge-${substr(sha256(each.key), 0, 16)}"
  action        = "lambda:InvokeFunction"
  function_name = coalesce(each.value.function_arn, aws_lambda_function.this.arn)
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.this[each.key].arn
}

resource "aws_sqs_queue" "eventbridge_dlq" {
  count = local.eventbridge ? 1 : 0

  name                      = local.eventbridge_dlq_name
  message_retention_seconds = var.failure_queue_retention_seconds
  sqs_managed_sse_enabled   = var.kms_key_arn == null ? true : null
  kms_master_key_id         = var.kms_key_arn

  # Only this module's rules may send (names built, not read: no wait on the rules).
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AllowThisModulesRules"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = "sqs:SendMessage"
        Resource  = local.eventbridge_dlq_arn
        Condition = {
          ArnEquals = {
            "aws:SourceArn" = [for n in values(local.eventbridge_rule_names) : "arn:${local.partition}:events:${data.aws_region.current.name}:${local.account_id}:rule/${n}"]
          }
        }
      },
    ]
  })
  tags = var.tags
}
