# Selects, from the generated org description, what one account needs: the SAML provider and
# every team role for the hub, or the spoke roles for a spoke. Terraform cannot choose providers
# with for_each, so the root module is applied once per account (one state each).

locals {
  org    = jsondecode(file(var.org_file))
  is_hub = var.account == local.org.hub.name

  # An unknown account fails here with "The given key does not identify an element".
  account_id = local.is_hub ? local.org.hub.account_id : local.org.spokes[var.account].account_id
  region     = local.is_hub ? local.org.hub.region : local.org.spokes[var.account].region

  hub_roles = {
    for team, t in local.org.teams : team => {
      name                     = t.hub_role_name
      description              = t.description
      policy_arns              = t.policy_arns
      assumable_role_arns      = t.assumable_role_arns
      max_session_duration     = t.max_session_duration
      permissions_boundary_arn = t.permissions_boundary_arn
    } if local.is_hub
  }

  spoke_roles = {
    for role, r in try(local.org.spokes[var.account].roles, {}) : role => {
      name                     = role
      description              = r.description
      policy_arns              = r.policy_arns
      trusted_hub_role_names   = r.trusted_hub_role_names
      max_session_duration     = r.max_session_duration
      permissions_boundary_arn = r.permissions_boundary_arn
    } if !local.is_hub
  }
}
