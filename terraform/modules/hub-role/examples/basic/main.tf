# One team role in the hub: billing read access in the hub, and read-only in one spoke.

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
  region = "us-east-1"
}

module "saml_provider" {
  source = "../../../saml-provider"

  name                   = "okta"
  saml_metadata_document = file("${path.module}/okta-metadata.xml")
}

module "team_finance" {
  source = "../.."

  name              = "team-finance"
  saml_provider_arn = module.saml_provider.arn
  policy_arns = [
    "arn:aws:iam::aws:policy/AWSBillingReadOnlyAccess",
  ]
  assumable_role_arns = [
    "arn:aws:iam::222222222222:role/ReadOnly",
  ]
  max_session_duration = 28800
  tags = {
    team = "finance"
  }
}

output "team_role_arn" {
  value = module.team_finance.arn
}
