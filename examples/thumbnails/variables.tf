variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Name of the function (and prefix of the bucket name)."
  type        = string
  default     = "s3-thumbnails"
}

variable "bucket_name" {
  description = "Bucket name; null derives a unique one from the name, account and region."
  type        = string
  default     = null
}

variable "package_file" {
  description = "The function zip; null means build/function.zip in this directory (see main.tf for the command)."
  type        = string
  default     = null
}

variable "architecture" {
  description = "x86_64 or arm64; build the zip for the same architecture."
  type        = string
  default     = "x86_64"
}

variable "maximum_retry_attempts" {
  description = "Retries of a failed image before it goes to the on-failure queue (0 to 2)."
  type        = number
  default     = 2
}

variable "force_destroy" {
  description = "Let destroy delete the bucket with its uploads and thumbnails."
  type        = bool
  default     = false
}
