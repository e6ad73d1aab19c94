output "is_hub" {
  description = "Whether var.account is the hub."
  value       = local.is_hub
}

output "account_id" {
  description = "Id of the account this run manages."
  value       = local.account_id
}

output "region" {
  description = "Default region of that account."
  value       = local.region
}

output "partition" {
  description = "The org's AWS partition."
  value       = local.org.partition
}

output "hub_account_id" {
  description = "Id of the hub account (what spoke roles trust)."
  value       = local.org.hub.account_id
}

output "role_path" {
  description = "IAM path of every hub and spoke role."
  value       = local.org.role_path
}

output "require_source_identity" {
  description = "Whether roles require/allow a source identity."
  value       = local.org.require_source_identity
}

output "saml_provider" {
  description = "Name and ARN of the Okta SAML provider in the hub."
  value       = local.org.saml_provider
}

output "hub_roles" {
  description = "Team => hub role settings; empty unless this is the hub."
  value       = local.hub_roles
}

output "spoke_roles" {
  description = "Role name => spoke role settings; empty unless this is a spoke."
  value       = local.spoke_roles
}
