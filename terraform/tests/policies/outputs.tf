output "hub" {
  value = {
    aws = {
      trust  = module.hub_aws.trust_policy_json
      assume = module.hub_aws.assume_policy_json
    }
    no_spokes = {
      trust  = module.hub_no_spokes.trust_policy_json
      assume = module.hub_no_spokes.assume_policy_json
    }
    gov = {
      trust  = module.hub_gov_tags_source_identity.trust_policy_json
      assume = module.hub_gov_tags_source_identity.assume_policy_json
    }
    cn = {
      trust  = module.hub_cn.trust_policy_json
      assume = module.hub_cn.assume_policy_json
    }
    oidc = {
      trust  = module.hub_oidc.trust_policy_json
      assume = module.hub_oidc.assume_policy_json
    }
  }
}

output "spoke" {
  value = {
    aws = module.spoke_aws.trust_policy_json
    gov = module.spoke_gov_path_source_identity_tags.trust_policy_json
    cn  = module.spoke_cn.trust_policy_json
  }
}

output "org" {
  value = {
    hub           = module.org_hub
    dev           = module.org_dev
    prod          = module.org_prod
    gov_hub       = module.org_gov_hub
    gov_workloads = module.org_gov_workloads
  }
}

output "org_policies" {
  value = {
    hub_teams  = { for team, m in module.org_hub_team_policies : team => { trust = m.trust_policy_json, assume = m.assume_policy_json } }
    prod_roles = { for role, m in module.org_prod_role_policies : role => m.trust_policy_json }
  }
}
