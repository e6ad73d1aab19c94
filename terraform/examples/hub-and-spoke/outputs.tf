output "saml_provider_arn" {
  description = "ARN of the Okta SAML provider (hub only; null in a spoke)."
  value       = one(module.saml_provider[*].arn)
}

output "hub_role_arns" {
  description = "Team => ARN of its hub role (hub only)."
  value       = { for team, m in module.hub_role : team => m.arn }
}

output "spoke_role_arns" {
  description = "Role name => ARN in this spoke (spokes only)."
  value       = { for role, m in module.spoke_role : role => m.arn }
}
