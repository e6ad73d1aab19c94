output "arn" {
  description = "ARN of the hub team role (the role_arn of the team's root profile)."
  value       = aws_iam_role.this.arn
}

output "name" {
  description = "Name of the hub team role (what spoke roles list in trusted_hub_role_names)."
  value       = aws_iam_role.this.name
}

output "unique_id" {
  description = "The role's stable unique id (AROA...)."
  value       = aws_iam_role.this.unique_id
}
