variable "trust" {
  description = "How the hub role trusts Okta: \"saml\" (AssumeRoleWithSAML through saml_provider_arn) or \"oidc\" (AssumeRoleWithWebIdentity through oidc_provider_arn, for aws-okta's okta_hub_trust = oidc)."
  type        = string
  default     = "saml"

  validation {
    condition     = contains(["saml", "oidc"], var.trust)
    error_message = "The trust must be \"saml\" or \"oidc\"."
  }
}

variable "saml_provider_arn" {
  description = "ARN of the IAM SAML provider for Okta in the hub account, e.g. arn:aws:iam::111111111111:saml-provider/okta. Its partition selects the SAML audience (the partition's sign-in endpoint). Required with trust = \"saml\"."
  type        = string
  default     = null

  validation {
    condition     = var.saml_provider_arn == null || can(regex("^arn:(aws|aws-us-gov|aws-cn):iam::[0-9]{12}:saml-provider/[A-Za-z0-9._-]{1,128}$", var.saml_provider_arn))
    error_message = "The saml_provider_arn must look like arn:<aws|aws-us-gov|aws-cn>:iam::<12-digit account id>:saml-provider/<name>."
  }
}

variable "assumable_role_arns" {
  description = "Spoke role ARNs the hub role may assume (sts:AssumeRole on exactly these; no wildcards). Empty: no identity policy is produced."
  type        = list(string)
  default     = []

  validation {
    condition = alltrue([
      for arn in var.assumable_role_arns :
      can(regex("^arn:(aws|aws-us-gov|aws-cn):iam::[0-9]{12}:role/([A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]{1,64}$", arn))
    ])
    error_message = "Every assumable_role_arns entry must be a full role ARN (arn:<partition>:iam::<12-digit account id>:role/[path/]name) without wildcards."
  }
}

variable "enable_session_tags" {
  description = "Allow sts:TagSession: in the trust policy (Okta passes session tags as SAML attributes) and on the assumable roles (so tags are passed on)."
  type        = bool
  default     = false
}

variable "enable_source_identity" {
  description = "Allow sts:SetSourceIdentity: in the trust policy (Okta sets the SourceIdentity SAML attribute) and on the assumable roles (the identity is carried into the spokes)."
  type        = bool
  default     = false
}

variable "oidc_provider_arn" {
  description = "ARN of the IAM OIDC provider for the Okta authorization server (trust = \"oidc\"), e.g. arn:aws:iam::111111111111:oidc-provider/example.okta.com/oauth2/aus1awshub."
  type        = string
  default     = null

  validation {
    condition     = var.oidc_provider_arn == null || can(regex("^arn:(aws|aws-us-gov|aws-cn):iam::[0-9]{12}:oidc-provider/[A-Za-z0-9.-]+(/[A-Za-z0-9._~-]+)*$", var.oidc_provider_arn))
    error_message = "The oidc_provider_arn must look like arn:<aws|aws-us-gov|aws-cn>:iam::<12-digit account id>:oidc-provider/<issuer host and path>."
  }
}

variable "oidc_audiences" {
  description = "Allowed aud values of the id token (trust = \"oidc\"): the client id of aws-okta's Okta OIDC app."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.oidc_audiences : can(regex("^[A-Za-z0-9._-]{1,128}$", a))])
    error_message = "Every oidc_audiences entry must be a client id (letters, digits, ._-), without wildcards."
  }
}

variable "oidc_subjects" {
  description = "Allowed sub values of the id token (trust = \"oidc\"): the Okta user ids of the team."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.oidc_subjects : can(regex("^[A-Za-z0-9._@+-]{1,128}$", s))])
    error_message = "Every oidc_subjects entry must be an exact subject (Okta user id), without wildcards."
  }
}
