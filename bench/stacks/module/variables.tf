variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Name of the function, role and bucket."
  type        = string
}

variable "package_file" {
  description = "The handler zip (`make package` writes build/handler.zip)."
  type        = string
}

variable "delivery" {
  description = "direct, sqs or eventbridge."
  type        = string
  default     = "direct"
}

variable "create_failure_queue" {
  description = "The module's on-failure queue (default true; bench/deploy.py --what-if sets false)."
  type        = bool
  default     = true
}
