terraform {
  # No providers: this module only builds policy documents, so it can be applied offline.
  required_version = ">= 1.0.0"
}
