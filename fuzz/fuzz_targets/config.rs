//! See `aws_okta::fuzzing::config`; inputs that once failed live in `fuzz/regressions/config/`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| aws_okta::fuzzing::config(data));
