# Builds the hub role's policy documents. Pure Terraform (jsonencode, no provider), so it can be
# applied offline for tests: see terraform/tests/policies.

locals {
  provider_arn = var.trust == "oidc" ? var.oidc_provider_arn : var.saml_provider_arn
  partition    = split(":", coalesce(local.provider_arn, "arn:aws:"))[1]

  # SAML:aud must be the partition's sign-in SAML endpoint, which is where Okta posts the
  # assertion.
  signin_hosts = {
    "aws"        = "signin.aws.amazon.com"
    "aws-us-gov" = "signin.amazonaws-us-gov.com"
    "aws-cn"     = "signin.amazonaws.cn"
  }
  saml_audience = "https://${local.signin_hosts[local.partition]}/saml"

  optional_actions = concat(
    var.enable_session_tags ? ["sts:TagSession"] : [],
    var.enable_source_identity ? ["sts:SetSourceIdentity"] : [],
  )

  # The OIDC condition keys are the provider's issuer (host and path) with :aud / :sub.
  oidc_issuer = var.oidc_provider_arn == null ? "" : element(split("oidc-provider/", var.oidc_provider_arn), 1)

  oidc_trust_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "OktaOidcFederation"
        Effect    = "Allow"
        Principal = { Federated = var.oidc_provider_arn }
        Action    = concat(["sts:AssumeRoleWithWebIdentity"], local.optional_actions)
        Condition = {
          StringEquals = {
            "${local.oidc_issuer}:aud" = sort(distinct(var.oidc_audiences))
            "${local.oidc_issuer}:sub" = sort(distinct(var.oidc_subjects))
          }
        }
      },
    ]
  }

  saml_trust_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "OktaSamlFederation"
        Effect    = "Allow"
        Principal = { Federated = var.saml_provider_arn }
        Action    = concat(["sts:AssumeRoleWithSAML"], local.optional_actions)
        Condition = {
          StringEquals = { "SAML:aud" = local.saml_audience }
        }
      },
    ]
  }

  assumable_role_arns = sort(distinct(var.assumable_role_arns))

  assume_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "AssumeSpokeRoles"
        Effect   = "Allow"
        Action   = concat(["sts:AssumeRole"], local.optional_actions)
        Resource = local.assumable_role_arns
      },
    ]
  }
}
