//! aws-okta: temporary AWS credentials through Okta for hub-and-spoke AWS organisations.
//!
//! Data flows: `config` (which roles, in which order) → `provider` (cache first, else
//! `okta` login → `saml` assertion → `sts` hub hop → `sts` spoke hops) → `cli` (print or exec).
pub mod browser;
pub mod cache;
pub mod cli;
pub mod config;
pub mod doctor;
pub mod error;
pub mod federation;
pub mod fsutil;
#[doc(hidden)]
pub mod fuzzing;
pub mod hardening;
pub mod keychain;
pub mod okta;
pub mod provider;
pub mod redact;
pub mod roles;
pub mod saml;
pub mod server;
pub mod settings;
pub mod signin;
pub mod sts;
pub mod terminal;
pub mod tls;

pub use error::{Error, Result};

/// Name and version sent as User-Agent and shown by `--version`.
pub const USER_AGENT: &str = concat!("aws-okta/", env!("CARGO_PKG_VERSION"));
