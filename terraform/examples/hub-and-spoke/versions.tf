terraform {
  required_version = ">= 1.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 4.0"
    }
  }

  # Configure a backend per account, e.g. an S3 backend with a key per account, or use one
  # `terraform workspace` per account with the local backend.
}
