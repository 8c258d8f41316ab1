variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Name of the function, role, bucket and (as a prefix) the queues."
  type        = string
}

variable "package_file" {
  description = "The handler zip (`make package` writes build/handler.zip)."
  type        = string
}
