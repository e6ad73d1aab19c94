# Test root for input validation: valid by default; scripts/test-terraform plans it with one bad
# -var at a time and expects Terraform to refuse with the module's error message.

variable "saml_provider_arn" {
  type    = string
  default = "arn:aws:iam::111111111111:saml-provider/okta"
}

variable "assumable_role_arns" {
  type    = list(string)
  default = ["arn:aws:iam::222222222222:role/ReadOnly"]
}

variable "partition" {
  type    = string
  default = "aws"
}

variable "hub_account_id" {
  type    = string
  default = "111111111111"
}

variable "trusted_hub_role_names" {
  type    = list(string)
  default = ["team-oncall"]
}

variable "org_file" {
  type    = string
  default = "../../../team-configs/generated/terraform.json"
}

variable "account" {
  type    = string
  default = "prod"
}

module "hub" {
  source = "../../modules/hub-role/modules/policies"

  saml_provider_arn   = var.saml_provider_arn
  assumable_role_arns = var.assumable_role_arns
}

module "spoke" {
  source = "../../modules/spoke-role/modules/policies"

  partition              = var.partition
  hub_account_id         = var.hub_account_id
  trusted_hub_role_names = var.trusted_hub_role_names
}

module "org" {
  source = "../../examples/hub-and-spoke/modules/org"

  org_file = var.org_file
  account  = var.account
}

output "account_id" {
  value = module.org.account_id
}
