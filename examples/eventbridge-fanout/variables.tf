variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Prefix of the two functions' names (and of the bucket name)."
  type        = string
  default     = "s3-fanout"
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
