# A read-only role in a spoke account for two hub team roles.

terraform {
  required_version = ">= 1.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 4.0"
    }
  }
}

provider "aws" {
  region = "us-west-2"
}

module "readonly" {
  source = "../.."

  name                   = "ReadOnly"
  hub_account_id         = "111111111111"
  trusted_hub_role_names = ["team-oncall", "team-product"]
  policy_arns            = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
}

output "role_arn" {
  value = module.readonly.arn
}
