variable "saml_provider_arn" {
  description = "ARN of the IAM SAML provider for Okta in the hub account, e.g. arn:aws:iam::111111111111:saml-provider/okta. Its partition selects the SAML audience (the partition's sign-in endpoint)."
  type        = string

  validation {
    condition     = can(regex("^arn:(aws|aws-us-gov|aws-cn):iam::[0-9]{12}:saml-provider/[A-Za-z0-9._-]{1,128}$", var.saml_provider_arn))
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
