//! See `aws_okta::fuzzing::okta_json`; inputs that once failed live in `fuzz/regressions/okta_json/`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| aws_okta::fuzzing::okta_json(data));
