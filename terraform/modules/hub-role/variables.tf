variable "name" {
  description = "Name of the team's role in the hub account (what the Okta AWS app lists for the team)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.name))
    error_message = "The name must be 1-64 characters of A-Z a-z 0-9 and +=,.@_-."
  }
}

variable "trust" {
  description = "How the role trusts Okta: \"saml\" (default; saml_provider_arn) or \"oidc\" (AssumeRoleWithWebIdentity through oidc_provider_arn with exact aud/sub conditions, for aws-okta's okta_hub_trust = oidc)."
  type        = string
  default     = "saml"

  validation {
    condition     = contains(["saml", "oidc"], var.trust)
    error_message = "The trust must be \"saml\" or \"oidc\"."
  }
}

variable "oidc_provider_arn" {
  description = "ARN of the IAM OIDC provider for the Okta authorization server (trust = \"oidc\")."
  type        = string
  default     = null
}

variable "oidc_audiences" {
  description = "Allowed aud values (the Okta OIDC app's client id), trust = \"oidc\"."
  type        = list(string)
  default     = []
}

variable "oidc_subjects" {
  description = "Allowed sub values (the team's Okta user ids), trust = \"oidc\"."
  type        = list(string)
  default     = []
}

variable "saml_provider_arn" {
  description = "ARN of the IAM SAML provider for Okta in this (hub) account, e.g. the saml-provider module's arn output. The role trusts only this provider, for the partition's sign-in SAML audience. Required with trust = \"saml\"."
  type        = string
  default     = null

  validation {
    condition     = var.saml_provider_arn == null || can(regex("^arn:(aws|aws-us-gov|aws-cn):iam::[0-9]{12}:saml-provider/[A-Za-z0-9._-]{1,128}$", var.saml_provider_arn))
    error_message = "The saml_provider_arn must look like arn:<aws|aws-us-gov|aws-cn>:iam::<12-digit account id>:saml-provider/<name>."
  }
}

variable "policy_arns" {
  description = "Managed policy ARNs to attach (permissions in the hub account itself), at most 20."
  type        = list(string)
  default     = []

  validation {
    condition = length(var.policy_arns) <= 20 && alltrue([
      for arn in var.policy_arns :
      can(regex("^arn:(aws|aws-us-gov|aws-cn):iam::([0-9]{12}|aws):policy/([A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]+$", arn))
    ])
    error_message = "Every policy_arns entry must be a policy ARN (arn:<partition>:iam::<account id or aws>:policy/[path/]name); at most 20."
  }
}

variable "assumable_role_arns" {
  description = "Spoke role ARNs this team may assume: an inline policy allows sts:AssumeRole on exactly these (and sts:TagSession / sts:SetSourceIdentity when enabled). Empty: no inline policy."
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

variable "max_session_duration" {
  description = "Longest session, in seconds, that the SAML sign-in may request for this role (3600-43200). Sessions in the spokes are chained and last at most one hour regardless."
  type        = number
  default     = 3600

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200 && floor(var.max_session_duration) == var.max_session_duration
    error_message = "The max_session_duration must be a whole number of seconds from 3600 to 43200."
  }
}

variable "permissions_boundary_arn" {
  description = "Optional ARN of a managed policy to use as the role's permissions boundary."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:(aws|aws-us-gov|aws-cn):iam::([0-9]{12}|aws):policy/([A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]+$", var.permissions_boundary_arn))
    error_message = "The permissions_boundary_arn must be null or a policy ARN."
  }
}

variable "path" {
  description = "IAM path of the role. Spoke roles match hub roles by ARN, which includes the path: use the same value as the spoke-role module's trusted_hub_role_path."
  type        = string
  default     = "/"

  validation {
    condition     = can(regex("^/([A-Za-z0-9+=,.@_-]+/)*$", var.path))
    error_message = "The path must be \"/\" or start and end with \"/\"."
  }
}

variable "description" {
  description = "Description of the role."
  type        = string
  default     = "Team role assumed through Okta SAML (managed by aws-okta's hub-role module)"
}

variable "enable_session_tags" {
  description = "Allow sts:TagSession in the trust policy (for Okta session tags) and on the assumable roles."
  type        = bool
  default     = false
}

variable "enable_source_identity" {
  description = "Allow sts:SetSourceIdentity in the trust policy (Okta's SourceIdentity attribute) and on the assumable roles. Needed when spoke roles use require_source_identity."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for the role."
  type        = map(string)
  default     = {}
}
