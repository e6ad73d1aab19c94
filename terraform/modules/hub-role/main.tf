# A team's role in the hub account: assumed with SAML through Okta, allowed to assume exactly the
# spoke roles listed for the team.

module "policies" {
  source = "./modules/policies"

  trust                  = var.trust
  saml_provider_arn      = var.saml_provider_arn
  oidc_provider_arn      = var.oidc_provider_arn
  oidc_audiences         = var.oidc_audiences
  oidc_subjects          = var.oidc_subjects
  assumable_role_arns    = var.assumable_role_arns
  enable_session_tags    = var.enable_session_tags
  enable_source_identity = var.enable_source_identity
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

resource "aws_iam_role_policy" "assume_spoke_roles" {
  count = length(var.assumable_role_arns) > 0 ? 1 : 0

  name   = "assume-spoke-roles"
  role   = aws_iam_role.this.id
  policy = module.policies.assume_policy_json
}
