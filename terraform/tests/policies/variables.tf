variable "org_file" {
  description = "The committed generated JSON of team-configs/org.toml."
  type        = string
  default     = "../../../team-configs/generated/terraform.json"
}

variable "govcloud_org_file" {
  description = "The generated JSON of the crate's aws-us-gov golden fixture."
  type        = string
  default     = "../../../crates/team-config/tests/fixtures/govcloud/generated/terraform.json"
}
