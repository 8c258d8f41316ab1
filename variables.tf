################################################################################
# Naming and code
################################################################################

variable "name" {
  description = "Name of the Lambda function. Also used for its IAM role, its log group (/aws/lambda/<name>) and the on-failure queue (<name>-failures)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,55}$", var.name))
    error_message = "name \"${var.name}\" is not allowed: use 1 to 55 characters from A-Z, a-z, 0-9, '-' and '_' (Lambda function and IAM role names; 9 characters are kept for the \"-failures\" queue suffix)."
  }
}

variable "package_file" {
  description = "Path to the zip file with the function's code (`make package` writes build/handler.zip). Its base64 SHA-256 becomes source_code_hash, so a rebuilt zip with the same bytes plans no change."
  type        = string
  nullable    = false

  validation {
    condition     = endswith(var.package_file, ".zip") && fileexists(var.package_file)
    error_message = "package_file \"${var.package_file}\" must be an existing .zip file. Build it with `make package` (writes build/handler.zip) or point package_file at your own zip."
  }
}

variable "handler" {
  description = "Function entry point, module.function, inside the zip."
  type        = string
  default     = "handler.app.lambda_handler"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$", var.handler))
    error_message = "handler \"${var.handler}\" must look like module.function (for example handler.app.lambda_handler)."
  }
}

variable "runtime" {
  description = "Lambda Python runtime: python3.11, python3.12 or python3.13 (the handler needs Python 3.11 or later)."
  type        = string
  default     = "python3.13"
  nullable    = false

  # Keep in step with RUNTIMES in s3_lambda_trigger/packaging.py (tests/unit/test_runtimes.py).
  validation {
    condition     = contains(["python3.11", "python3.12", "python3.13"], var.runtime)
    error_message = "runtime \"${var.runtime}\" is not supported: use one of python3.11, python3.12, python3.13 (the handler needs Python 3.11 or later)."
  }
}

################################################################################
# Bucket
################################################################################

variable "bucket_name" {
  description = "Name of the bucket. With create_bucket = true the module creates it; with false it must already exist and the module attaches to it."
  type        = string
  nullable    = false

  validation {
    condition = alltrue([
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name)),
      !strcontains(var.bucket_name, ".."),
      !can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$", var.bucket_name)),
      !can(regex("^(xn--|sthree-|amzn-s3-demo-)", var.bucket_name)),
      !can(regex("(-s3alias|--ol-s3|\\.mrap|--x-s3|--table-s3)$", var.bucket_name)),
    ])
    error_message = "bucket_name \"${var.bucket_name}\" would be refused by S3: use 3 to 63 characters from a-z, 0-9, '.' and '-', starting and ending with a letter or digit, no '..', not an IP address, not starting with xn--, sthree- or amzn-s3-demo-, not ending with -s3alias, --ol-s3, .mrap, --x-s3 or --table-s3."
  }
}

variable "create_bucket" {
  description = "Create the bucket (true) or attach to an existing one named bucket_name (false). S3 keeps ONE notification configuration per bucket: this module becomes its only writer and destroy clears it."
  type        = bool
  default     = true
  nullable    = false
}

variable "force_destroy" {
  description = "Allow destroy to delete a bucket the module created even when it still holds objects. Off by default so no data is lost by accident."
  type        = bool
  default     = false
  nullable    = false
}

variable "block_public_access" {
  description = "Block every form of public access on a created bucket."
  type        = bool
  default     = true
  nullable    = false
}

variable "enforce_bucket_owner" {
  description = "Set object ownership to BucketOwnerEnforced (ACLs disabled) on a created bucket."
  type        = bool
  default     = true
  nullable    = false
}

variable "require_tls" {
  description = "Attach a bucket policy to a created bucket that denies every request not made over TLS."
  type        = bool
  default     = true
  nullable    = false
}

variable "versioning" {
  description = "Enable versioning on a created bucket."
  type        = bool
  default     = false
  nullable    = false
}

variable "kms_key_arn" {
  description = "KMS key for server-side encryption of a created bucket (aws:kms) and of the on-failure queue. null means SSE-S3 (AES256) and SQS-managed encryption. The function is allowed to decrypt with it."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>); an alias ARN cannot be used because IAM grants the function decrypt on the key itself."
  }
}

variable "enable_eventbridge" {
  description = "Also send this bucket's events to Amazon EventBridge."
  type        = bool
  default     = false
  nullable    = false
}

################################################################################
# Notification rules
################################################################################

variable "notifications" {
  description = "Notification rules keyed by a stable rule name (the notification id; used in permission statement ids). Each rule: events (default all object-create events), filter_prefix, filter_suffix, and optionally function_arn, a function made elsewhere to invoke instead of the module's own."
  type = map(object({
    events        = optional(list(string), ["s3:ObjectCreated:*"])
    filter_prefix = optional(string, "")
    filter_suffix = optional(string, "")
    function_arn  = optional(string)
    # delivery = eventbridge only: match objects of at least this many bytes.
    filter_min_size = optional(number)
  }))
  default  = { all = {} }
  nullable = false

  validation {
    condition     = length(var.notifications) > 0
    error_message = "notifications must hold at least one rule, for example { uploads = { filter_prefix = \"incoming/\" } }."
  }

  validation {
    condition     = alltrue([for k in keys(var.notifications) : can(regex("^[A-Za-z0-9_-]{1,48}$", k))])
    error_message = "notifications: rule name(s) ${join(", ", [for k in keys(var.notifications) : "\"${k}\"" if !can(regex("^[A-Za-z0-9_-]{1,48}$", k))])} not allowed: use 1 to 48 characters from A-Z, a-z, 0-9, '-' and '_'."
  }

  validation {
    condition     = alltrue([for k, r in var.notifications : length(r.events) > 0])
    error_message = "notifications: rule(s) ${join(", ", [for k, r in var.notifications : k if length(r.events) == 0])} have empty events. Leave events out for all object-create events, or list S3 event names such as s3:ObjectCreated:*."
  }

  validation {
    # S3's event types; the same pattern names the offenders in the message below.
    condition     = alltrue(flatten([for k, r in var.notifications : [for e in r.events : can(regex("^s3:(ObjectCreated:(\\*|Put|Post|Copy|CompleteMultipartUpload)|ObjectRemoved:(\\*|Delete|DeleteMarkerCreated)|ObjectRestore:(\\*|Post|Completed|Delete)|ReducedRedundancyLostObject|Replication:(\\*|OperationFailedReplication|OperationMissedThreshold|OperationReplicatedAfterThreshold|OperationNotTracked)|LifecycleExpiration:(\\*|Delete|DeleteMarkerCreated)|LifecycleTransition|IntelligentTiering|ObjectTagging:(\\*|Put|Delete)|ObjectAcl:Put)$", e))]]))
    error_message = "notifications: unknown S3 event name(s) ${join(", ", distinct(flatten([for k, r in var.notifications : [for e in r.events : "${k}: \"${e}\"" if !can(regex("^s3:(ObjectCreated:(\\*|Put|Post|Copy|CompleteMultipartUpload)|ObjectRemoved:(\\*|Delete|DeleteMarkerCreated)|ObjectRestore:(\\*|Post|Completed|Delete)|ReducedRedundancyLostObject|Replication:(\\*|OperationFailedReplication|OperationMissedThreshold|OperationReplicatedAfterThreshold|OperationNotTracked)|LifecycleExpiration:(\\*|Delete|DeleteMarkerCreated)|LifecycleTransition|IntelligentTiering|ObjectTagging:(\\*|Put|Delete)|ObjectAcl:Put)$", e))]])))}. Allowed: s3:ObjectCreated:* (or :Put, :Post, :Copy, :CompleteMultipartUpload), s3:ObjectRemoved:* (or :Delete, :DeleteMarkerCreated), s3:ObjectRestore:* (or :Post, :Completed, :Delete), s3:ReducedRedundancyLostObject, s3:Replication:* (or one of its four), s3:LifecycleExpiration:* (or :Delete, :DeleteMarkerCreated), s3:LifecycleTransition, s3:IntelligentTiering, s3:ObjectTagging:* (or :Put, :Delete), s3:ObjectAcl:Put."
  }

  validation {
    condition     = alltrue([for k, r in var.notifications : length(distinct(r.events)) == length(r.events)])
    error_message = "notifications: rule(s) ${join(", ", [for k, r in var.notifications : k if length(distinct(r.events)) != length(r.events)])} list the same event twice."
  }

  validation {
    condition     = alltrue([for k, r in var.notifications : !startswith(r.filter_prefix, "/")])
    error_message = "notifications: filter_prefix of rule(s) ${join(", ", [for k, r in var.notifications : k if startswith(r.filter_prefix, "/")])} starts with '/'. S3 keys have no leading slash: write \"incoming/\", not \"/incoming/\"."
  }

  validation {
    condition     = alltrue([for k, r in var.notifications : length(r.filter_prefix) <= 1024 && length(r.filter_suffix) <= 1024])
    error_message = "notifications: filter_prefix and filter_suffix are limited to 1024 characters (rule(s) ${join(", ", [for k, r in var.notifications : k if length(r.filter_prefix) > 1024 || length(r.filter_suffix) > 1024])})."
  }

  validation {
    condition     = alltrue([for k, r in var.notifications : r.function_arn == null || can(regex("^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]+)?$", r.function_arn))])
    error_message = "notifications: function_arn of rule(s) ${join(", ", [for k, r in var.notifications : k if !(r.function_arn == null || can(regex("^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]+)?$", r.function_arn)))])} is not a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>[:<alias>]). Leave it out to target the module's own function."
  }

  validation {
    condition     = alltrue([for k, r in var.notifications : r.filter_min_size == null || try(r.filter_min_size >= 0 && floor(r.filter_min_size) == r.filter_min_size, false)])
    error_message = "notifications: filter_min_size of rule(s) ${join(", ", [for k, r in var.notifications : k if !(r.filter_min_size == null || try(r.filter_min_size >= 0 && floor(r.filter_min_size) == r.filter_min_size, false))])} must be a whole number of bytes >= 0."
  }
}

variable "output_prefix" {
  description = "Key prefix under which the function may write into the same bucket (s3:PutObject on bucket/<prefix>*). null means no write access. No rule that targets the module's function may match it (that would be a loop)."
  type        = string
  default     = null

  validation {
    condition     = var.output_prefix == null || (try(length(var.output_prefix), 0) > 0 && !startswith(coalesce(var.output_prefix, "x"), "/"))
    error_message = "output_prefix must be null or a non-empty key prefix without a leading '/', for example \"processed/\"."
  }
}

################################################################################
# Delivery: how events travel from the bucket to the function
################################################################################

variable "delivery" {
  description = "How events reach the function: direct (S3 invokes it asynchronously; retries, then the on-failure queue), sqs (S3 -> an encrypted queue -> event source mapping with batching, a concurrency ceiling, partial batch failures and a DLQ by redrive policy) or eventbridge (S3 -> EventBridge; one EventBridge rule per notification rule and event; overlapping rules allowed; many stacks may attach to one bucket)."
  type        = string
  default     = "direct"
  nullable    = false

  validation {
    condition     = contains(["direct", "sqs", "eventbridge"], var.delivery)
    error_message = "delivery \"${var.delivery}\" is not allowed: use direct, sqs or eventbridge."
  }
}

variable "manage_bucket_notification" {
  description = "Write the bucket's notification configuration (S3 keeps one per bucket). Set false only with delivery = \"eventbridge\" and create_bucket = false, when EventBridge is turned on for the bucket elsewhere: then any number of stacks attach their own functions to one bucket without overwriting each other."
  type        = bool
  default     = true
  nullable    = false
}

variable "queue_batch_size" {
  description = "delivery = sqs: most messages (S3 records) per invocation, 1 to 10000 (above 10 needs queue_batching_window_seconds >= 1)."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = var.queue_batch_size >= 1 && var.queue_batch_size <= 10000 && floor(var.queue_batch_size) == var.queue_batch_size
    error_message = "queue_batch_size must be a whole number from 1 to 10000."
  }
}

variable "queue_batching_window_seconds" {
  description = "delivery = sqs: how long the event source mapping gathers messages before invoking, 0 to 300 seconds."
  type        = number
  default     = 0
  nullable    = false

  validation {
    condition     = var.queue_batching_window_seconds >= 0 && var.queue_batching_window_seconds <= 300 && floor(var.queue_batching_window_seconds) == var.queue_batching_window_seconds
    error_message = "queue_batching_window_seconds must be a whole number from 0 to 300."
  }
}

variable "queue_maximum_concurrency" {
  description = "delivery = sqs: most concurrent invocations the queue drives (2 to 1000), a ceiling that protects what the function writes to; null means no ceiling. Prefer this to reserved concurrency, which makes throttled messages count as receives and land in the DLQ."
  type        = number
  default     = null

  validation {
    condition     = var.queue_maximum_concurrency == null || (try(var.queue_maximum_concurrency >= 2 && var.queue_maximum_concurrency <= 1000 && floor(var.queue_maximum_concurrency) == var.queue_maximum_concurrency, false))
    error_message = "queue_maximum_concurrency must be null or a whole number from 2 to 1000."
  }
}

variable "queue_visibility_timeout_seconds" {
  description = "delivery = sqs: the queue's visibility timeout; null means 6 x timeout (at least 30). AWS advises at least 6 x the function timeout, checked at plan time."
  type        = number
  default     = null

  validation {
    condition     = var.queue_visibility_timeout_seconds == null || (try(var.queue_visibility_timeout_seconds >= 0 && var.queue_visibility_timeout_seconds <= 43200 && floor(var.queue_visibility_timeout_seconds) == var.queue_visibility_timeout_seconds, false))
    error_message = "queue_visibility_timeout_seconds must be null or a whole number from 0 to 43200 (12 hours)."
  }
}

variable "queue_max_receive_count" {
  description = "delivery = sqs: how many times a message is received (tried) before the redrive policy moves it to the DLQ, 1 to 1000."
  type        = number
  default     = 5
  nullable    = false

  validation {
    condition     = var.queue_max_receive_count >= 1 && var.queue_max_receive_count <= 1000 && floor(var.queue_max_receive_count) == var.queue_max_receive_count
    error_message = "queue_max_receive_count must be a whole number from 1 to 1000."
  }
}

variable "eventbridge_maximum_retry_attempts" {
  description = "delivery = eventbridge: how often EventBridge retries delivering an event to the function (0 to 185) before it goes to the target's DLQ."
  type        = number
  default     = 185
  nullable    = false

  validation {
    condition     = var.eventbridge_maximum_retry_attempts >= 0 && var.eventbridge_maximum_retry_attempts <= 185 && floor(var.eventbridge_maximum_retry_attempts) == var.eventbridge_maximum_retry_attempts
    error_message = "eventbridge_maximum_retry_attempts must be a whole number from 0 to 185."
  }
}

variable "eventbridge_maximum_event_age_seconds" {
  description = "delivery = eventbridge: how long EventBridge keeps trying to deliver an event, 60 to 86400 seconds."
  type        = number
  default     = 86400
  nullable    = false

  validation {
    condition     = var.eventbridge_maximum_event_age_seconds >= 60 && var.eventbridge_maximum_event_age_seconds <= 86400 && floor(var.eventbridge_maximum_event_age_seconds) == var.eventbridge_maximum_event_age_seconds
    error_message = "eventbridge_maximum_event_age_seconds must be a whole number from 60 to 86400."
  }
}

################################################################################
# Alarms
################################################################################

variable "alarm_actions" {
  description = "SNS topic ARNs that CloudWatch alarms notify (on alarm and back to OK). Empty: no alarms. Given: alarms on the function's Errors and Throttles, on the on-failure queue and DLQs holding any message, and with delivery = sqs on the age of the queue's oldest message. The list's length must be known at plan time (a list literal of topic ARNs is, even when the ARNs are not)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.alarm_actions : can(regex("^arn:aws[a-zA-Z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", a))])
    error_message = "alarm_actions must be SNS topic ARNs (arn:aws:sns:<region>:<account>:<topic>); got ${join(", ", [for a in var.alarm_actions : "\"${a}\"" if !can(regex("^arn:aws[a-zA-Z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", a))])}."
  }
}

variable "queue_age_alarm_seconds" {
  description = "delivery = sqs, with alarm_actions: alarm when the queue's oldest message is older than this many seconds (60 to 1209600)."
  type        = number
  default     = 600
  nullable    = false

  validation {
    condition     = var.queue_age_alarm_seconds >= 60 && var.queue_age_alarm_seconds <= 1209600
    error_message = "queue_age_alarm_seconds must be from 60 to 1209600."
  }
}

################################################################################
# Function
################################################################################

variable "memory_size" {
  description = "Memory of the function in MB."
  type        = number
  default     = 128
  nullable    = false

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "timeout" {
  description = "Function timeout in seconds."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds from 1 to 900."
  }
}

variable "environment_variables" {
  description = "Environment variables of the function (for example S3_EVENT_PROCESSOR = \"mypkg.mymodule:process\", LOG_LEVEL = \"DEBUG\")."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.environment_variables) : can(regex("^[A-Za-z][A-Za-z0-9_]*$", k))])
    error_message = "environment_variables: key(s) ${join(", ", [for k in keys(var.environment_variables) : k if !can(regex("^[A-Za-z][A-Za-z0-9_]*$", k))])} must start with a letter and hold only letters, digits and '_'."
  }

  validation {
    condition = length(setintersection(keys(var.environment_variables), [
      "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME",
      "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME",
      "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
      "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
    ])) == 0
    error_message = "environment_variables: ${join(", ", [for k in keys(var.environment_variables) : k if contains(["_HANDLER", "_X_AMZN_TRACE_ID", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR"], k)])} reserved by Lambda and cannot be set."
  }
}

variable "architecture" {
  description = "Instruction set of the function: x86_64 or arm64."
  type        = string
  default     = "x86_64"
  nullable    = false

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture \"${var.architecture}\" is not allowed: use x86_64 or arm64."
  }
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency of the function; -1 means unreserved, 0 stops all invocations."
  type        = number
  default     = -1
  nullable    = false

  validation {
    condition     = var.reserved_concurrent_executions >= -1 && floor(var.reserved_concurrent_executions) == var.reserved_concurrent_executions
    error_message = "reserved_concurrent_executions must be -1 (unreserved) or a whole number >= 0."
  }
}

variable "tracing_mode" {
  description = "X-Ray tracing: null (off), PassThrough or Active. Active also grants the role the X-Ray write actions."
  type        = string
  default     = null

  validation {
    condition     = var.tracing_mode == null || contains(["PassThrough", "Active"], coalesce(var.tracing_mode, "x"))
    error_message = "tracing_mode must be null, \"PassThrough\" or \"Active\"."
  }
}

variable "layers" {
  description = "Up to 5 Lambda layer version ARNs."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = length(var.layers) <= 5 && alltrue([for l in var.layers : can(regex("^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$", l))])
    error_message = "layers must be at most 5 layer version ARNs (arn:aws:lambda:<region>:<account>:layer:<name>:<version>)."
  }
}

variable "log_format" {
  description = "Lambda log format: Text or JSON. The handler writes one JSON object per line either way."
  type        = string
  default     = "Text"
  nullable    = false

  validation {
    condition     = contains(["Text", "JSON"], var.log_format)
    error_message = "log_format \"${var.log_format}\" is not allowed: use Text or JSON."
  }
}

variable "log_retention_in_days" {
  description = "Retention of the function's log group /aws/lambda/<name>."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be one of CloudWatch's values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key ARN to encrypt the log group with; null uses CloudWatch Logs' own encryption."
  type        = string
  default     = null

  validation {
    condition     = var.log_kms_key_arn == null || can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.log_kms_key_arn))
    error_message = "log_kms_key_arn must be null or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "recursive_loop" {
  description = "Lambda recursive loop detection: Terminate (stop a function that loops through S3/SQS/SNS) or Allow."
  type        = string
  default     = "Terminate"
  nullable    = false

  validation {
    condition     = contains(["Terminate", "Allow"], var.recursive_loop)
    error_message = "recursive_loop must be \"Terminate\" or \"Allow\"."
  }
}

variable "attach_extra_policy" {
  description = "Attach extra_policy_json to the function's role as a second inline policy. This switch alone decides whether that policy exists, so extra_policy_json may be unknown until apply (for example built from a resource made in the same apply). Set it exactly when extra_policy_json is set."
  type        = bool
  default     = false
  nullable    = false
}

variable "extra_policy_json" {
  description = "An IAM policy document (JSON) attached to the function's role, with attach_extra_policy = true, in addition to the module's least-privilege policy."
  type        = string
  default     = null

  validation {
    condition     = var.extra_policy_json == null || can(jsondecode(var.extra_policy_json).Statement)
    error_message = "extra_policy_json must be null or a JSON IAM policy document with a Statement list (for example from data.aws_iam_policy_document.x.json)."
  }
}

################################################################################
# Failure handling
################################################################################

variable "maximum_retry_attempts" {
  description = "How many times Lambda retries an asynchronous (S3) invocation that failed: 0 to 2."
  type        = number
  default     = 2
  nullable    = false

  validation {
    condition     = contains([0, 1, 2], var.maximum_retry_attempts)
    error_message = "maximum_retry_attempts must be 0, 1 or 2."
  }
}

variable "maximum_event_age_in_seconds" {
  description = "How long Lambda keeps an event for retries before it goes to the on-failure destination: 60 to 21600 seconds."
  type        = number
  default     = 21600
  nullable    = false

  validation {
    condition     = var.maximum_event_age_in_seconds >= 60 && var.maximum_event_age_in_seconds <= 21600 && floor(var.maximum_event_age_in_seconds) == var.maximum_event_age_in_seconds
    error_message = "maximum_event_age_in_seconds must be a whole number from 60 to 21600."
  }
}

variable "create_failure_queue" {
  description = "Create an encrypted SQS queue <name>-failures as on-failure destination. Set false to use failure_destination_arn (or no destination)."
  type        = bool
  default     = true
  nullable    = false
}

variable "failure_destination_arn" {
  description = "ARN of an SQS queue, SNS topic, Lambda function, EventBridge bus or S3 bucket to send failed events to, with create_failure_queue = false. An S3 bucket (arn:aws:s3:::name) keeps each failed event as an object and applies without the SQS queue's ~25 s provider wait; LocalStack does not accept it."
  type        = string
  default     = null

  validation {
    condition     = var.failure_destination_arn == null || can(regex("^arn:aws[a-zA-Z-]*:(sqs|sns|lambda|events):[a-z0-9-]+:[0-9]{12}:.+$", var.failure_destination_arn)) || can(regex("^arn:aws[a-zA-Z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.failure_destination_arn))
    error_message = "failure_destination_arn must be null or the ARN of an SQS queue, SNS topic, Lambda function, EventBridge event bus or S3 bucket (arn:aws:s3:::bucket-name, no key)."
  }
}

variable "failure_queue_retention_seconds" {
  description = "How long the module's on-failure queue keeps a message: 60 to 1209600 seconds (14 days, the default)."
  type        = number
  default     = 1209600
  nullable    = false

  validation {
    condition     = var.failure_queue_retention_seconds >= 60 && var.failure_queue_retention_seconds <= 1209600
    error_message = "failure_queue_retention_seconds must be from 60 to 1209600 (14 days)."
  }
}

variable "tags" {
  description = "Tags for every resource the module creates."
  type        = map(string)
  default     = {}
  nullable    = false
}

################################################################################
# Operations: backfill and S3 Batch Operations
################################################################################

variable "create_batch_operations_role" {
  description = "Create an IAM role for S3 Batch Operations jobs that invoke the function once per existing object (`s3-lambda-trigger backfill --batch-operations`): trusted by batchoperations.s3.amazonaws.com, it may invoke the function, list the bucket, read manifests and write reports under batch_operations_report_prefix."
  type        = bool
  default     = false
  nullable    = false
}

variable "batch_operations_report_bucket" {
  description = "Bucket for S3 Batch Operations completion reports and CSV manifests; null means the module's bucket. Must be in the bucket's region."
  type        = string
  default     = null
}

variable "batch_operations_report_prefix" {
  description = "Key prefix of S3 Batch Operations completion reports and CSV manifests. In the module's own bucket no rule of the module's function may match it."
  type        = string
  default     = "s3-lambda-trigger/batch-operations/"
  nullable    = false

  validation {
    condition     = length(var.batch_operations_report_prefix) > 1 && endswith(var.batch_operations_report_prefix, "/") && !startswith(var.batch_operations_report_prefix, "/")
    error_message = "batch_operations_report_prefix must be a key prefix ending in '/' without a leading '/', for example \"s3-lambda-trigger/batch-operations/\"."
  }
}
