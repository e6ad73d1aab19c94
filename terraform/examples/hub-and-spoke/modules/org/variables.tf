variable "org_file" {
  description = "Path of the JSON written by `aws-okta config generate` (team-configs/generated/terraform.json)."
  type        = string
}

variable "account" {
  description = "The account this run manages: the hub's name or a spoke's name from org.toml."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", var.account))
    error_message = "The account must be an account name from org.toml (lowercase letters, digits and -)."
  }
}
