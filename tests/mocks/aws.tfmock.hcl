# The AWS data sources every terraform test of this module reads, one account and region
# (us-east-1, 123456789012). Used by each tests/*.tftest.hcl: mock_provider "aws" { source = "./tests/mocks" }
# Resource mocks (ARNs named after each file's function) stay inline in each test file.

mock_data "aws_caller_identity" {
  defaults = { account_id = "123456789012", arn = "arn:aws:iam::123456789012:user/test", user_id = "AIDATEST" }
}

mock_data "aws_partition" {
  defaults = { partition = "aws", dns_suffix = "amazonaws.com", reverse_dns_prefix = "com.amazonaws" }
}

mock_data "aws_region" {
  defaults = { name = "us-east-1", description = "US East (N. Virginia)", endpoint = "ec2.us-east-1.amazonaws.com" }
}
