output "arn" {
  description = "ARN of the spoke role (the role_arn of the engineers' chained profiles)."
  value       = aws_iam_role.this.arn
}

output "name" {
  description = "Name of the spoke role."
  value       = aws_iam_role.this.name
}

output "trusted_principal_arns" {
  description = "The hub role ARNs allowed by the trust policy's aws:PrincipalArn condition."
  value       = module.policies.trusted_principal_arns
}
