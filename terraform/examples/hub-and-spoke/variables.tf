variable "account" {
  description = "Which account of team-configs/org.toml this run manages: the hub's name (creates the SAML provider and every team's hub role) or a spoke's name (creates that spoke's roles). Apply once per account, each with its own state."
  type        = string
}

variable "org_file" {
  description = "Path of the JSON written by `aws-okta config generate`."
  type        = string
  default     = "../../../team-configs/generated/terraform.json"
}

variable "saml_metadata_file" {
  description = "Path of the Okta AWS app's Identity Provider metadata XML; read only when account is the hub."
  type        = string
  default     = "okta-metadata.xml"
}

variable "deploy_role_name" {
  description = "Role to assume in the target account to apply (e.g. OrganizationAccountAccessRole); null uses the ambient credentials as they are."
  type        = string
  default     = null
}

variable "enable_session_tags" {
  description = "Allow sts:TagSession on the hub and spoke roles (Okta session tags passed through)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default = {
    managed-by = "terraform"
    source     = "team-configs/org.toml"
  }
}
