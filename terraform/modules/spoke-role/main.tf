# A role in a spoke account that trusts only the hub: the hub account as principal, narrowed to
# the listed hub team roles with an aws:PrincipalArn condition.

data "aws_partition" "current" {}

module "policies" {
  source = "./modules/policies"

  partition               = data.aws_partition.current.partition
  hub_account_id          = var.hub_account_id
  trusted_hub_role_names  = var.trusted_hub_role_names
  trusted_hub_role_path   = var.trusted_hub_role_path
  require_source_identity = var.require_source_identity
  enable_session_tags     = var.enable_session_tags
}

resource "aws_iam_role" "this" {
  name                  = var.name
  path                  = var.path
  description           = var.description
  assume_role_policy    = module.policies.trust_policy_json
  max_session_duration  = var.max_session_duration
  permissions_boundary  = var.permissions_boundary_arn
  force_detach_policies = true
  tags                  = var.tags
}

resource "aws_iam_role_policy_attachment" "managed" {
  for_each = toset(var.policy_arns)

  role       = aws_iam_role.this.name
  policy_arn = each.value
}
