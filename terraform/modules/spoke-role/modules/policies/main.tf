# Builds the spoke role's trust policy. Pure Terraform (jsonencode, no provider), so it can be
# applied offline for tests: see terraform/tests/policies.

locals {
  hub_root = "arn:${var.partition}:iam::${var.hub_account_id}:root"

  trusted_principal_arns = sort(distinct([
    for name in var.trusted_hub_role_names :
    "arn:${var.partition}:iam::${var.hub_account_id}:role${var.trusted_hub_role_path}${name}"
  ]))

  actions = concat(
    ["sts:AssumeRole"],
    var.enable_session_tags ? ["sts:TagSession"] : [],
    var.require_source_identity ? ["sts:SetSourceIdentity"] : [],
  )

  # The principal is the hub account, narrowed to the team roles: trusting the role ARNs
  # directly would break (IAM rewrites them to unique ids) whenever a hub role is recreated.
  conditions = merge(
    { ArnEquals = { "aws:PrincipalArn" = local.trusted_principal_arns } },
    var.require_source_identity ? { Null = { "sts:SourceIdentity" = "false" } } : {},
  )

  trust_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "HubTeamRoles"
        Effect    = "Allow"
        Principal = { AWS = local.hub_root }
        Action    = local.actions
        Condition = local.conditions
      },
    ]
  }
}
