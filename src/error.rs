//! One error type for the whole tool. Each variant maps to a documented exit code and a
//! one-line message that tells the user what to do next; `main` is the only place that prints.
use thiserror::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Exit codes (documented in the README). `exec` passes the child's own code through.
pub mod exit {
    pub const INTERNAL: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const CONFIG: i32 = 3;
    pub const KEYCHAIN: i32 = 4;
    pub const AUTH_FAILED: i32 = 10;
    pub const ACCOUNT_STATE: i32 = 11;
    pub const MFA_REJECTED: i32 = 12;
    pub const MFA_TIMEOUT: i32 = 13;
    pub const MFA_FAILED: i32 = 14;
    pub const SAML: i32 = 15;
    pub const STS: i32 = 16;
    pub const RATE_LIMITED: i32 = 17;
    pub const NETWORK: i32 = 18;
    pub const OKTA_API: i32 = 19;
    pub const FEDERATION: i32 = 20;
    /// Okta Identity Engine: something only an Okta admin can change (OIDC app, grants, AWS app).
    pub const OKTA_SETUP: i32 = 21;
    /// Okta Identity Engine: the user or a policy denied the sign-in (`access_denied`).
    pub const ACCESS_DENIED: i32 = 22;
    /// `doctor`: at least one check failed (warnings alone exit 0).
    pub const CHECK_FAILED: i32 = 23;
    /// `--role PATTERN` matches none of the roles the assertion offers, or several.
    pub const ROLE_CHOICE: i32 = 24;
    pub const EXEC: i32 = 126;
}

#[derive(Debug, Error)]
pub enum Error {
    #[error("{0}")]
    Usage(String),

    /// Problems in `~/.aws/config`; the message names the profile (and line when known).
    #[error("{0}")]
    Config(String),

    /// A line of a config file that is not INI: where it is, as data (`config validate` lists
    /// problems in file order and blanks the line to find the next one).
    #[error("{}:{line}: malformed config: {message}", file.display())]
    ConfigSyntax {
        file: std::path::PathBuf,
        line: usize,
        message: String,
    },

    #[error("keychain ({backend}): {message}")]
    Keychain {
        backend: &'static str,
        message: String,
    },

    #[error("no Okta credentials stored for account '{account}' (keychain item {item}): run `aws-okta add{flag}` first")]
    NoStoredCredentials {
        account: String,
        item: String,
        flag: String,
    },

    #[error("Okta rejected the username or password for {username}: update the stored password with `aws-okta add{flag}` (not retried, to avoid locking the account)")]
    WrongPassword { username: String, flag: String },

    #[error("Okta account {username} is locked out: ask your Okta administrator (or use self-service unlock on the Okta sign-in page)")]
    LockedOut { username: String },

    #[error("the Okta password of {username} has expired: change it on the Okta sign-in page, then run `aws-okta add{flag}`")]
    PasswordExpired { username: String, flag: String },

    #[error("Okta requires MFA enrollment for {username}: enroll a factor (e.g. Okta Verify) at {url}, then retry")]
    MfaEnroll { username: String, url: String },

    #[error("Okta answered with status {status}, which aws-okta cannot complete: sign in once in the browser at {url} to finish it")]
    UnsupportedAuthState { status: String, url: String },

    #[error("MFA was rejected ({result}): approve the push on your phone when you retry, or pick another factor with --mfa-factor-type")]
    MfaRejected { result: String },

    #[error("MFA timed out: no answer to the push; retry and approve it on your phone")]
    MfaTimeout,

    #[error("{0}")]
    Mfa(String),

    /// The factor asks for a step only a browser can take (Duo's prompt wants WebAuthn, or
    /// denies this device). Kept apart from `Mfa` so the hub hop can add where to go instead.
    #[error("{0}")]
    MfaNeedsBrowser(String),

    /// A login needs the user to type or choose something (a code, a factor, a role, a
    /// passphrase) while nobody may be asked: `exec --server` has handed the terminal (and
    /// stdin) to its command. Kept apart from `Mfa` so the credential server can tell "ask the
    /// user elsewhere" from "this login failed".
    #[error("{0}")]
    NeedsInput(String),

    /// Another process held the account's login lock longer than any login can take.
    #[error("{}", lock_timeout_message(.account, *.pid, *.waited_secs))]
    LoginLockTimeout {
        account: String,
        /// The holder's pid, as it wrote it into the lock file.
        pid: Option<u32>,
        waited_secs: u64,
    },

    #[error("{0}")]
    Saml(String),
    /// `--role PATTERN` matches no offered role or several; the message lists the candidates.
    #[error("{0}")]
    RoleChoice(String),

    #[error("STS {operation} for {role}: {message}")]
    Sts {
        operation: &'static str,
        role: String,
        code: String,
        message: String,
    },

    #[error("{service} is rate limiting requests (HTTP 429): wait a minute and retry")]
    RateLimited { service: &'static str },

    /// Okta, STS or the federation endpoint could not be reached or failed on its side
    /// (connection, timeout, 5xx): worth retrying. An answer that arrives but makes no sense is
    /// [`Error::OktaResponse`], never this.
    #[error("{message}")]
    Network {
        message: String,
        /// The transport error behind it, when there is one (its URL already removed: a
        /// request URL can carry a session token).
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    #[error("Okta API error {code} (HTTP {status}): {summary}")]
    OktaApi {
        status: u16,
        code: String,
        summary: String,
    },

    /// Something only an Okta admin can change (the OIDC app, its grants, the AWS app).
    #[error("{0}")]
    OktaSetup(String),

    /// The user or a policy denied the sign-in (OAuth `access_denied`).
    #[error("{0}")]
    AccessDenied(String),

    /// The user said no to the MFA step (an Identity Engine push rejected), with what to do.
    #[error("{0}")]
    MfaDenied(String),

    /// The MFA step or browser sign-in was not answered in time, with what to do.
    #[error("{0}")]
    MfaExpired(String),

    /// Okta answered with something we cannot use (missing fields, not JSON, wrong shape).
    #[error("{0}")]
    OktaResponse(String),

    /// Console sign-in through the AWS federation endpoint failed.
    #[error("{0}")]
    Federation(String),

    #[error("cannot run {command}: {message}")]
    Exec { command: String, message: String },

    /// A local file, socket or process operation failed.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    /// Our own data could not be written as JSON (cannot happen with the types we write; an
    /// internal error if it ever does).
    #[error("cannot encode {what}: {source}")]
    Encode {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        use exit::*;
        match self {
            Error::Usage(_) => USAGE,
            Error::Config(_) | Error::ConfigSyntax { .. } => CONFIG,
            Error::Keychain { .. } | Error::NoStoredCredentials { .. } => KEYCHAIN,
            Error::WrongPassword { .. } => AUTH_FAILED,
            Error::LockedOut { .. }
            | Error::PasswordExpired { .. }
            | Error::MfaEnroll { .. }
            | Error::UnsupportedAuthState { .. } => ACCOUNT_STATE,
            Error::MfaRejected { .. } | Error::MfaDenied(_) => MFA_REJECTED,
            // Another process's login did not finish within the longest MFA wait: what a script
            // does with 13 (let the user finish the sign-in, retry) is right here too. It is no
            // keychain problem (4) and no internal error (1).
            Error::MfaTimeout | Error::MfaExpired(_) | Error::LoginLockTimeout { .. } => {
                MFA_TIMEOUT
            }
            Error::Mfa(_) | Error::MfaNeedsBrowser(_) => MFA_FAILED,
            Error::NeedsInput(_) => USAGE,
            Error::Saml(_) => SAML,
            Error::RoleChoice(_) => ROLE_CHOICE,
            Error::Sts { .. } => STS,
            Error::RateLimited { .. } => RATE_LIMITED,
            Error::Network { .. } => NETWORK,
            Error::OktaApi { .. } => OKTA_API,
            Error::OktaSetup(_) => OKTA_SETUP,
            Error::AccessDenied(_) => ACCESS_DENIED,
            Error::OktaResponse(_) => OKTA_API,
            Error::Federation(_) => FEDERATION,
            Error::Exec { .. } => EXEC,
            Error::Io { .. } | Error::Encode { .. } => INTERNAL,
        }
    }

    /// Whether the same login may succeed if simply tried again later: the network, a rate
    /// limit, Okta or STS having a bad moment, a local hiccup. Everything else (a rejected
    /// password or MFA answer, an account state, a missing setup, an STS refusal) fails the same
    /// way until someone changes something, so the credential server never repeats it.
    pub fn is_transient(&self) -> bool {
        match self {
            // Another process's login holding the lock ends by itself, one way or the other.
            Error::RateLimited { .. }
            | Error::Network { .. }
            | Error::Io { .. }
            | Error::LoginLockTimeout { .. } => true,
            Error::OktaApi { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// A network failure described by `message` alone.
    pub fn network(message: impl Into<String>) -> Error {
        Error::Network {
            message: message.into(),
            source: None,
        }
    }

    /// A network failure with the transport error behind it (pass `reqwest` errors through
    /// `without_url()` first).
    pub fn network_caused(
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Error {
        Error::Network {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// `what` failed to encode as JSON.
    pub fn encode(what: &'static str) -> impl FnOnce(serde_json::Error) -> Error {
        move |source| Error::Encode { what, source }
    }

    pub fn io(context: impl std::fmt::Display, err: std::io::Error) -> Error {
        Error::Io {
            context: context.to_string(),
            source: err,
        }
    }
}

fn lock_timeout_message(account: &str, pid: Option<u32>, waited_secs: u64) -> String {
    let waited = short_duration(std::time::Duration::from_secs(waited_secs));
    match pid {
        Some(pid) => format!(
            "gave up after {waited} waiting for another aws-okta process (pid {pid}) that is logging in to Okta account '{account}': finish that login (approve its push, enter its code or complete its browser sign-in) or stop it (`kill {pid}`), then retry"
        ),
        None => format!(
            "gave up after {waited} waiting for another aws-okta process that is logging in to Okta account '{account}': finish that login (approve its push, enter its code or complete its browser sign-in) or stop it, then retry"
        ),
    }
}

/// `45s`, `3 min`, `11 min 10s`: a wait as a person reads it.
pub fn short_duration(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the credential server retries: only what can pass by itself. A wrong password or a
    /// rejected push retried is an account lockout or a flooded phone.
    #[test]
    fn only_passing_troubles_are_transient() {
        let s = String::new;
        let fatal = [
            Error::WrongPassword {
                username: s(),
                flag: s(),
            },
            Error::LockedOut { username: s() },
            Error::PasswordExpired {
                username: s(),
                flag: s(),
            },
            Error::MfaEnroll {
                username: s(),
                url: s(),
            },
            Error::UnsupportedAuthState {
                status: s(),
                url: s(),
            },
            Error::MfaRejected { result: s() },
            Error::MfaTimeout,
            Error::Mfa(s()),
            Error::MfaNeedsBrowser(s()),
            Error::NeedsInput(s()),
            Error::AccessDenied(s()),
            Error::OktaSetup(s()),
            Error::MfaDenied(s()),
            Error::MfaExpired(s()),
            Error::NoStoredCredentials {
                account: s(),
                item: s(),
                flag: s(),
            },
            Error::Keychain {
                backend: "file",
                message: s(),
            },
            Error::OktaApi {
                status: 403,
                code: s(),
                summary: s(),
            },
            Error::Sts {
                operation: "AssumeRole",
                role: s(),
                code: s(),
                message: s(),
            },
        ];
        for e in &fatal {
            assert!(!e.is_transient(), "{e:?}");
        }
        let transient = [
            Error::network(s()),
            Error::RateLimited { service: "Okta" },
            Error::OktaApi {
                status: 503,
                code: s(),
                summary: s(),
            },
            Error::io("reading", std::io::Error::other("x")),
            Error::LoginLockTimeout {
                account: s(),
                pid: None,
                waited_secs: 1,
            },
        ];
        for e in &transient {
            assert!(e.is_transient(), "{e:?}");
        }
    }
}
