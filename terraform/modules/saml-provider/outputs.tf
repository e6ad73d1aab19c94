output "arn" {
  description = "ARN of the SAML provider: the hub-role module's saml_provider_arn."
  value       = aws_iam_saml_provider.this.arn
}

output "name" {
  description = "Name of the SAML provider."
  value       = aws_iam_saml_provider.this.name
}
