variable "name" {
  description = "Name of the SAML provider in the hub account (its ARN ends in saml-provider/<name>; the Okta AWS app's role list uses that ARN)."
  type        = string
  default     = "okta"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,128}$", var.name))
    error_message = "The name must be 1-128 characters of A-Z a-z 0-9 and ._-."
  }
}

variable "saml_metadata_document" {
  description = "The Identity Provider metadata XML of the Okta AWS app (Okta: Applications > AWS Account Federation > Sign On > Identity Provider metadata)."
  type        = string

  validation {
    condition     = can(regex("EntityDescriptor", var.saml_metadata_document)) && length(var.saml_metadata_document) >= 100 && length(var.saml_metadata_document) <= 10000000
    error_message = "The saml_metadata_document must be SAML metadata XML (an md:EntityDescriptor document), not a URL or file name."
  }
}

variable "tags" {
  description = "Tags for the SAML provider."
  type        = map(string)
  default     = {}
}
