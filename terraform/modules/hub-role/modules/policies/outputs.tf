output "trust_policy_json" {
  description = "Trust (assume role) policy: only the Okta SAML provider, with SAML:aud pinned to the partition's sign-in endpoint."
  value       = jsonencode(local.trust_policy)
}

output "assume_policy_json" {
  description = "Identity policy allowing sts:AssumeRole on exactly the assumable roles; null when there are none."
  value       = length(local.assumable_role_arns) == 0 ? null : jsonencode(local.assume_policy)
}

output "saml_audience" {
  description = "The SAML:aud value the trust policy requires."
  value       = local.saml_audience
}
