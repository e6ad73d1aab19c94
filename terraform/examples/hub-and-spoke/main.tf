# Every team and account of team-configs/org.toml, from the JSON that `aws-okta config generate`
# writes. Providers cannot be chosen with for_each, so this root is applied once per account:
#
#   terraform apply -var account=hub    # SAML provider + one hub role per team
#   terraform apply -var account=prod   # prod's spoke roles (likewise for every spoke)
#
# with a separate state for each (a backend key or a workspace per account).

module "org" {
  source = "./modules/org"

  org_file = var.org_file
  account  = var.account
}

provider "aws" {
  region = module.org.region

  # Refuse to touch any account but the one named by var.account.
  allowed_account_ids = [module.org.account_id]

  dynamic "assume_role" {
    for_each = var.deploy_role_name == null ? [] : [var.deploy_role_name]
    content {
      role_arn     = "arn:${module.org.partition}:iam::${module.org.account_id}:role/${assume_role.value}"
      session_name = "aws-okta-hub-and-spoke"
    }
  }
}

# ---- Hub: the Okta SAML provider and one role per team.

module "saml_provider" {
  source = "../../modules/saml-provider"
  count  = module.org.is_hub ? 1 : 0

  name                   = module.org.saml_provider.name
  saml_metadata_document = file(var.saml_metadata_file)
  tags                   = var.tags
}

module "hub_role" {
  source   = "../../modules/hub-role"
  for_each = module.org.hub_roles

  name                     = each.value.name
  description              = each.value.description == "" ? "Hub role of team ${each.key}" : each.value.description
  path                     = module.org.role_path
  saml_provider_arn        = module.org.saml_provider.arn
  policy_arns              = each.value.policy_arns
  assumable_role_arns      = each.value.assumable_role_arns
  max_session_duration     = each.value.max_session_duration
  permissions_boundary_arn = each.value.permissions_boundary_arn
  enable_session_tags      = var.enable_session_tags
  enable_source_identity   = module.org.require_source_identity
  tags                     = merge(var.tags, { team = each.key })

  # The ARN is known from org.toml (so plans show the full trust policy), but IAM rejects a trust
  # policy naming a SAML provider that does not exist yet.
  depends_on = [module.saml_provider]
}

# ---- Spoke: its roles, each trusting the hub roles of the teams granted it.

module "spoke_role" {
  source   = "../../modules/spoke-role"
  for_each = module.org.spoke_roles

  name                     = each.value.name
  description              = each.value.description == "" ? "Spoke role ${each.key}, assumed from the hub" : each.value.description
  path                     = module.org.role_path
  hub_account_id           = module.org.hub_account_id
  trusted_hub_role_names   = each.value.trusted_hub_role_names
  trusted_hub_role_path    = module.org.role_path
  policy_arns              = each.value.policy_arns
  max_session_duration     = each.value.max_session_duration
  permissions_boundary_arn = each.value.permissions_boundary_arn
  require_source_identity  = module.org.require_source_identity
  enable_session_tags      = var.enable_session_tags
  tags                     = var.tags
}
