# The Okta SAML provider in the hub account.

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

module "okta" {
  source = "../.."

  name                   = "okta"
  saml_metadata_document = file("${path.module}/../../../hub-role/examples/basic/okta-metadata.xml")
}

output "saml_provider_arn" {
  value = module.okta.arn
}
