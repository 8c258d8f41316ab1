variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Name of the function (and prefix of the bucket name)."
  type        = string
  default     = "s3-uploads-existing"
}

variable "package_file" {
  description = "The handler zip; null means build/handler.zip of this repo (`make package`)."
  type        = string
  default     = null
}
