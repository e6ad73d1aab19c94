//! See `aws_okta::fuzzing::saml`; inputs that once failed live in `fuzz/regressions/saml/`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| aws_okta::fuzzing::saml(data));
