output "trust_policy_json" {
  description = "Trust policy: principal the hub account root, limited by aws:PrincipalArn to the listed hub team roles."
  value       = jsonencode(local.trust_policy)
}

output "trusted_principal_arns" {
  description = "The hub role ARNs the aws:PrincipalArn condition allows."
  value       = local.trusted_principal_arns
}
