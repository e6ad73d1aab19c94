//! The settings aws-okta takes from its environment, read once at the edge (`cli`) into one
//! typed [`Settings`] value that is passed down: nothing below `cli` reads `AWS_OKTA_*` for a
//! setting, so a bad value fails before any keychain read or request and names its variable.
//! The STS endpoint override is one of them.
//!
//! Read elsewhere, on purpose: the `file` keychain's passphrase sources (secrets, read only when
//! that backend opens, never kept in a value that is passed around); where files live
//! (`AWS_CONFIG_FILE`, `AWS_OKTA_HOME`, `AWS_SHARED_CREDENTIALS_FILE`: `paths`); the TLS trust
//! store (`AWS_CA_BUNDLE`, and `SSL_CERT_FILE` checked: `tls`, next to the system store whose own
//! `SSL_CERT_FILE`/`SSL_CERT_DIR` rustls-native-certs reads, once per process, only when a
//! request is made); the test hooks of the `test-hooks` build (`AWS_OKTA_FEDERATION_ENDPOINT`,
//! `AWS_OKTA_SAML_SIGNIN_ENDPOINT`, `AWS_OKTA_WEBAUTHN_SOFT_TOKEN`); and the proxy variables
//! (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`), read by the HTTP clients themselves
//! (reqwest for Okta, the SDK's `ProxyConfig::from_env` for STS) in the standard way, and shown
//! by `doctor`.
pub use crate::okta::http::{OktaHttp, DEFAULT_CONNECT_TIMEOUT, DEFAULT_HTTP_TIMEOUT};
use crate::{Error, Result};
use std::time::Duration;

/// Credentials closer than this to expiry are refreshed (`AWS_OKTA_EXPIRY_WINDOW`).
pub const DEFAULT_EXPIRY_WINDOW: Duration = Duration::from_secs(300);
/// An Okta session known to end this soon is extended before use
/// (`AWS_OKTA_SESSION_REFRESH_WINDOW`).
pub const DEFAULT_SESSION_REFRESH_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Everything aws-okta's behaviour depends on besides the config file and the flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub okta_http: OktaHttp,
    /// `AWS_OKTA_EXPIRY_WINDOW`: how close to expiry credentials count as expiring (in the
    /// cache and in the `exec --server` memory alike).
    pub expiry_window: Duration,
    /// `AWS_OKTA_SESSION_REFRESH_WINDOW`.
    pub session_refresh_window: Duration,
    /// `AWS_OKTA_LOCK_TIMEOUT`: how long a login waits for another process's login.
    pub lock_timeout: Duration,
    /// `AWS_OKTA_REMEMBER_DEVICE` (`false` opts out): ask Okta to remember this device when
    /// the MFA policy allows it.
    pub remember_device: bool,
    /// Whether the device flow may open a browser: not with `AWS_OKTA_NO_BROWSER`, over SSH,
    /// or (on Unix other than macOS) without a display. `--no-browser` is merged later.
    pub browser: bool,
    /// `AWS_ENDPOINT_URL_STS` / `AWS_ENDPOINT_URL` (validated: https, or http to loopback),
    /// unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`. Only the environment decides where
    /// the SAML assertion goes (see `sts::endpoint_from`).
    pub sts_endpoint: Option<String>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            okta_http: OktaHttp::default(),
            expiry_window: DEFAULT_EXPIRY_WINDOW,
            session_refresh_window: DEFAULT_SESSION_REFRESH_WINDOW,
            lock_timeout: crate::okta::LOGIN_LOCK_TIMEOUT,
            remember_device: true,
            browser: true,
            sts_endpoint: None,
        }
    }
}

impl Settings {
    /// The process's settings: each variable set (and not empty), else its default.
    pub fn from_env() -> Result<Settings> {
        Settings::from_lookup(|name| {
            std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
        })
    }

    /// [`Settings::from_env`] over any source of variables (tests pass a map).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Settings> {
        let set = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let duration = |name: &str| -> Result<Option<Duration>> {
            set(name)
                .map(|v| {
                    crate::config::parse_duration(&v)
                        .map_err(|e| Error::Config(format!("environment variable {name}: {e}")))
                })
                .transpose()
        };
        let defaults = Settings::default();
        // A zero timeout would fail every request: it means the default, as it always has.
        let timeout = |name: &str, default: Duration| -> Result<Duration> {
            Ok(duration(name)?.filter(|d| !d.is_zero()).unwrap_or(default))
        };
        let remember_device = match set("AWS_OKTA_REMEMBER_DEVICE")
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("1" | "true" | "yes" | "on") => true,
            Some("0" | "false" | "no" | "off") => false,
            Some(other) => {
                return Err(Error::Config(format!(
                    "environment variable AWS_OKTA_REMEMBER_DEVICE: '{other}' is not true or false"
                )))
            }
        };
        let over_ssh = var("SSH_CONNECTION").is_some() || var("SSH_TTY").is_some();
        let display = !cfg!(all(unix, not(target_os = "macos")))
            || var("DISPLAY").is_some()
            || var("WAYLAND_DISPLAY").is_some();
        Ok(Settings {
            okta_http: OktaHttp {
                timeout: timeout("AWS_OKTA_HTTP_TIMEOUT", DEFAULT_HTTP_TIMEOUT)?,
                connect_timeout: timeout("AWS_OKTA_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT)?,
                poll_interval: duration("AWS_OKTA_POLL_INTERVAL")?,
            },
            expiry_window: duration("AWS_OKTA_EXPIRY_WINDOW")?.unwrap_or(defaults.expiry_window),
            session_refresh_window: duration("AWS_OKTA_SESSION_REFRESH_WINDOW")?
                .unwrap_or(defaults.session_refresh_window),
            lock_timeout: duration("AWS_OKTA_LOCK_TIMEOUT")?.unwrap_or(defaults.lock_timeout),
            remember_device,
            browser: set("AWS_OKTA_NO_BROWSER").is_none() && !over_ssh && display,
            sts_endpoint: crate::sts::endpoint_from(&var)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(vars: &[(&str, &str)]) -> Result<Settings> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn nothing_set_is_the_defaults() {
        let s = from(&[("DISPLAY", ":0")]).unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!(s.okta_http.timeout, Duration::from_secs(30));
        assert_eq!(s.expiry_window, Duration::from_secs(300));
    }

    #[test]
    fn values_are_parsed_and_zero_timeouts_mean_the_default() {
        let s = from(&[
            ("AWS_OKTA_HTTP_TIMEOUT", "0"),
            ("AWS_OKTA_CONNECT_TIMEOUT", "2s"),
            ("AWS_OKTA_POLL_INTERVAL", "20ms"),
            ("AWS_OKTA_EXPIRY_WINDOW", "10m"),
            ("AWS_OKTA_SESSION_REFRESH_WINDOW", ""),
            ("AWS_OKTA_LOCK_TIMEOUT", "3s"),
            ("AWS_OKTA_REMEMBER_DEVICE", "No"),
        ])
        .unwrap();
        assert_eq!(s.okta_http.timeout, DEFAULT_HTTP_TIMEOUT);
        assert_eq!(s.okta_http.connect_timeout, Duration::from_secs(2));
        assert_eq!(s.okta_http.poll_interval, Some(Duration::from_millis(20)));
        assert_eq!(s.expiry_window, Duration::from_secs(600));
        assert_eq!(s.session_refresh_window, DEFAULT_SESSION_REFRESH_WINDOW);
        assert_eq!(s.lock_timeout, Duration::from_secs(3));
        assert!(!s.remember_device);
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let e = from(&[("AWS_OKTA_EXPIRY_WINDOW", "soon")])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("AWS_OKTA_EXPIRY_WINDOW") && e.contains("soon"),
            "{e}"
        );
        let e = from(&[("AWS_OKTA_REMEMBER_DEVICE", "maybe")])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("AWS_OKTA_REMEMBER_DEVICE") && e.contains("maybe"),
            "{e}"
        );
    }

    #[test]
    fn no_browser_over_ssh_or_when_told() {
        assert!(
            !from(&[("DISPLAY", ":0"), ("AWS_OKTA_NO_BROWSER", "1")])
                .unwrap()
                .browser
        );
        assert!(
            !from(&[("DISPLAY", ":0"), ("SSH_TTY", "/dev/pts/1")])
                .unwrap()
                .browser
        );
        assert!(
            from(&[("DISPLAY", ":0"), ("AWS_OKTA_NO_BROWSER", "")])
                .unwrap()
                .browser
        );
    }
}
