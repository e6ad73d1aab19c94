# Test root: applies the provider-free policy modules for a set of inputs; scripts/test-terraform
# asserts on `terraform output -json` (terraform/tests/check_outputs.py).

# ---- hub-role policies

module "hub_aws" {
  source = "../../modules/hub-role/modules/policies"

  saml_provider_arn = "arn:aws:iam::111111111111:saml-provider/okta"
  # Unsorted and with a duplicate: the policy lists each once, sorted.
  assumable_role_arns = [
    "arn:aws:iam::333333333333:role/ReadOnly",
    "arn:aws:iam::222222222222:role/Administrator",
    "arn:aws:iam::333333333333:role/ReadOnly",
  ]
}

module "hub_no_spokes" {
  source = "../../modules/hub-role/modules/policies"

  saml_provider_arn = "arn:aws:iam::111111111111:saml-provider/okta"
}

module "hub_gov_tags_source_identity" {
  source = "../../modules/hub-role/modules/policies"

  saml_provider_arn      = "arn:aws-us-gov:iam::012345678901:saml-provider/agency-okta"
  assumable_role_arns    = ["arn:aws-us-gov:iam::098765432109:role/teams/Auditor"]
  enable_session_tags    = true
  enable_source_identity = true
}

module "hub_cn" {
  source = "../../modules/hub-role/modules/policies"

  saml_provider_arn   = "arn:aws-cn:iam::123456789012:saml-provider/okta"
  assumable_role_arns = ["arn:aws-cn:iam::210987654321:role/ReadOnly"]
}

module "hub_oidc" {
  source = "../../modules/hub-role/modules/policies"

  trust               = "oidc"
  oidc_provider_arn   = "arn:aws:iam::111111111111:oidc-provider/example.okta.com/oauth2/aus1awshub"
  oidc_audiences      = ["0oa1awsoktacli"]
  oidc_subjects       = ["00u1bob", "00u1alice", "00u1bob"]
  assumable_role_arns = ["arn:aws:iam::222222222222:role/Administrator"]
}

# ---- spoke-role policies

module "spoke_aws" {
  source = "../../modules/spoke-role/modules/policies"

  partition              = "aws"
  hub_account_id         = "111111111111"
  trusted_hub_role_names = ["team-product", "team-oncall", "team-product"]
}

module "spoke_gov_path_source_identity_tags" {
  source = "../../modules/spoke-role/modules/policies"

  partition               = "aws-us-gov"
  hub_account_id          = "012345678901"
  trusted_hub_role_names  = ["Security"]
  trusted_hub_role_path   = "/teams/"
  require_source_identity = true
  enable_session_tags     = true
}

module "spoke_cn" {
  source = "../../modules/spoke-role/modules/policies"

  partition              = "aws-cn"
  hub_account_id         = "123456789012"
  trusted_hub_role_names = ["team-oncall"]
}

# ---- the hub-and-spoke example's selection of the generated org, per account

module "org_hub" {
  source   = "../../examples/hub-and-spoke/modules/org"
  org_file = var.org_file
  account  = "hub"
}

module "org_dev" {
  source   = "../../examples/hub-and-spoke/modules/org"
  org_file = var.org_file
  account  = "dev"
}

module "org_prod" {
  source   = "../../examples/hub-and-spoke/modules/org"
  org_file = var.org_file
  account  = "prod"
}

module "org_gov_hub" {
  source   = "../../examples/hub-and-spoke/modules/org"
  org_file = var.govcloud_org_file
  account  = "identity"
}

module "org_gov_workloads" {
  source   = "../../examples/hub-and-spoke/modules/org"
  org_file = var.govcloud_org_file
  account  = "workloads"
}

# ---- the example wired end to end: every team's hub policies and every spoke's trust policies,
# built from the generated JSON exactly as the example's modules build them.

module "org_hub_team_policies" {
  source   = "../../modules/hub-role/modules/policies"
  for_each = module.org_hub.hub_roles

  saml_provider_arn   = module.org_hub.saml_provider.arn
  assumable_role_arns = each.value.assumable_role_arns
}

module "org_prod_role_policies" {
  source   = "../../modules/spoke-role/modules/policies"
  for_each = module.org_prod.spoke_roles

  partition              = module.org_prod.partition
  hub_account_id         = module.org_prod.hub_account_id
  trusted_hub_role_names = each.value.trusted_hub_role_names
  trusted_hub_role_path  = module.org_prod.role_path
}
