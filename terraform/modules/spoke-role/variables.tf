variable "name" {
  description = "Name of the role in this spoke account, e.g. ReadOnly or Administrator."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.name))
    error_message = "The name must be 1-64 characters of A-Z a-z 0-9 and +=,.@_-."
  }
}

variable "hub_account_id" {
  description = "The hub account's 12-digit id. The role trusts this account only, narrowed to trusted_hub_role_names."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.hub_account_id))
    error_message = "The hub_account_id must be exactly 12 digits."
  }
}

variable "trusted_hub_role_names" {
  description = "Names of the hub team roles that may assume this role (an aws:PrincipalArn condition, so a recreated hub role keeps working and no other principal of the hub gets in). At least one."
  type        = list(string)

  validation {
    condition = length(var.trusted_hub_role_names) > 0 && alltrue([
      for name in var.trusted_hub_role_names : can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", name))
    ])
    error_message = "List at least one hub role name; names are 1-64 of A-Z a-z 0-9 and +=,.@_- (no wildcards)."
  }
}

variable "trusted_hub_role_path" {
  description = "IAM path of the trusted hub roles (the hub-role module's path)."
  type        = string
  default     = "/"

  validation {
    condition     = can(regex("^/([A-Za-z0-9+=,.@_-]+/)*$", var.trusted_hub_role_path))
    error_message = "The trusted_hub_role_path must be \"/\" or start and end with \"/\"."
  }
}

variable "policy_arns" {
  description = "Managed policy ARNs to attach (the role's permissions in this spoke), at most 20."
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

variable "max_session_duration" {
  description = "Maximum session duration in seconds (3600-43200). Engineers reach spoke roles by role chaining from their hub role, and AWS caps chained sessions at one hour whatever this says; a longer value only helps callers that assume this role directly."
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

variable "require_source_identity" {
  description = "Only allow sessions that carry a source identity (sts:SourceIdentity, set by Okta at sign-in) and allow it to be passed on (sts:SetSourceIdentity). The hub roles need enable_source_identity."
  type        = bool
  default     = false
}

variable "enable_session_tags" {
  description = "Allow sts:TagSession, so session tags from the hub session are passed on."
  type        = bool
  default     = false
}

variable "path" {
  description = "IAM path of this role."
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
  default     = "Spoke role assumed from hub team roles (managed by aws-okta's spoke-role module)"
}

variable "tags" {
  description = "Tags for the role."
  type        = map(string)
  default     = {}
}
