output "trust_policy_json" {
  description = "Trust (assume role) policy: only the Okta SAML provider, with SAML:aud pinned to the partition's sign-in endpoint."
  value       = var.trust == "oidc" ? jsonencode(local.oidc_trust_policy) : jsonencode(local.saml_trust_policy)

  precondition {
    condition     = var.trust != "saml" || var.saml_provider_arn != null
    error_message = "trust = \"saml\" needs saml_provider_arn."
  }
  precondition {
    condition     = var.trust != "oidc" || (var.oidc_provider_arn != null && length(var.oidc_audiences) > 0 && length(var.oidc_subjects) > 0)
    error_message = "trust = \"oidc\" needs oidc_provider_arn, oidc_audiences and oidc_subjects."
  }
}

output "assume_policy_json" {
  description = "Identity policy allowing sts:AssumeRole on exactly the assumable roles; null when there are none."
  value       = length(local.assumable_role_arns) == 0 ? null : jsonencode(local.assume_policy)
}

output "saml_audience" {
  description = "The SAML:aud value the trust policy requires."
  value       = local.saml_audience
}
