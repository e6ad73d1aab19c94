variable "partition" {
  description = "AWS partition of the hub and spoke accounts: aws, aws-us-gov or aws-cn."
  type        = string

  validation {
    condition     = contains(["aws", "aws-us-gov", "aws-cn"], var.partition)
    error_message = "The partition must be aws, aws-us-gov or aws-cn."
  }
}

variable "hub_account_id" {
  description = "The hub account's 12-digit id: the only account trusted."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.hub_account_id))
    error_message = "The hub_account_id must be exactly 12 digits."
  }
}

variable "trusted_hub_role_names" {
  description = "Names of the hub team roles that may assume this role (matched on aws:PrincipalArn, so a recreated hub role keeps working)."
  type        = list(string)

  validation {
    condition = length(var.trusted_hub_role_names) > 0 && alltrue([
      for name in var.trusted_hub_role_names : can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", name))
    ])
    error_message = "List at least one hub role name; names are 1-64 of A-Z a-z 0-9 and +=,.@_- (no wildcards)."
  }
}

variable "trusted_hub_role_path" {
  description = "IAM path of the trusted hub roles, \"/\" or \"/a/b/\"."
  type        = string
  default     = "/"

  validation {
    condition     = can(regex("^/([A-Za-z0-9+=,.@_-]+/)*$", var.trusted_hub_role_path))
    error_message = "The trusted_hub_role_path must be \"/\" or start and end with \"/\"."
  }
}

variable "require_source_identity" {
  description = "Require a source identity (sts:SourceIdentity, set by Okta at sign-in and carried through the hub) and allow sts:SetSourceIdentity."
  type        = bool
  default     = false
}

variable "enable_session_tags" {
  description = "Allow sts:TagSession, so session tags from the hub session are passed on."
  type        = bool
  default     = false
}
