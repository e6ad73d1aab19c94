//! aws-okta: temporary AWS credentials through Okta for hub-and-spoke AWS organisations.
//!
//! Data flows one way: `settings` (the environment, read once) and `config` (which roles, in
//! which order: a typed `Chain`, resolved without I/O) → `provider` (cache first, else a login
//! flow through `okta` → `saml` assertion or id token → `sts` hub hop → `sts` spoke hops) →
//! `cli` (print or exec). Leaves every layer may use: `credentials`, `error`, `messages`,
//! `paths`, `fsutil`, `runtime`. The module graph has no cycles.
pub mod browser;
pub mod cache;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod doctor;
pub mod error;
pub mod federation;
pub mod fsutil;
#[doc(hidden)]
pub mod fuzzing;
pub mod hardening;
pub mod html;
pub mod keychain;
pub mod messages;
pub mod okta;
pub mod paths;
pub mod provider;
pub mod redact;
pub mod roles;
pub mod runtime;
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
