//! The black-box suite: the built `aws-okta` binary run in a private HOME against the fake
//! Okta (tests/fake-okta), a real moto STS, real keychains and real clients. One test binary
//! with a module per area (one link of the library instead of one per file; one moto for all).
//! Shared harness: `common`. Linux-only modules say so in their first line.
mod common;

mod cli;
mod config_cmd;
mod corporate_tls;
mod duo_universal;
mod env_formats;
mod factors;
mod faults;
mod fuzz_regressions;
mod interactive;
mod keychains;
mod layout;
mod many_accounts;
mod oie;
mod sdk_profiles;
mod session_tools;
mod trust;
mod trust_identity;
mod trust_server;
