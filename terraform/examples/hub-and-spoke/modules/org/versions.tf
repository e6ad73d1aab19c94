terraform {
  # No providers: this module only reads the generated JSON, so it can be applied offline.
  required_version = ">= 1.0.0"
}
