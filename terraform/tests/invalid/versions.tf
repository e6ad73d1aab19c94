terraform {
  # Provider-free: `terraform init && terraform apply` runs offline.
  required_version = ">= 1.0.0"
}
