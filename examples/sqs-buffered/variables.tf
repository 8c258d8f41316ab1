variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Name of the function (and prefix of the bucket and queue names)."
  type        = string
  default     = "s3-orders-buffered"
}

variable "bucket_name" {
  description = "Bucket name; null derives a unique one from the name, account and region."
  type        = string
  default     = null
}

variable "package_file" {
  description = "The handler zip; null means build/handler.zip of this repo (`make package`)."
  type        = string
  default     = null
}

variable "alarm_topic_arn" {
  description = "An SNS topic for the alarms (errors, throttles, DLQ not empty, old messages); null: no alarms."
  type        = string
  default     = null
}
