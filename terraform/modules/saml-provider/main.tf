# The IAM identity provider for Okta in the hub account: the principal that hub team roles trust.

resource "aws_iam_saml_provider" "this" {
  name                   = var.name
  saml_metadata_document = var.saml_metadata_document
  tags                   = var.tags
}
