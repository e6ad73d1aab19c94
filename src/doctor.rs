//! `aws-okta doctor`: checks of everything a login depends on, each with a status and the fix.
//! Nothing here prints or returns a secret: keychain items are read only to see that they
//! exist and parse (their password is dropped at once), the cache is described from its index
//! (profile, role, expiry), and the requests sent carry no credential.
use crate::cache::{Index, LockFile};
use crate::credentials::rfc3339;
use crate::keychain::Keychain;
use crate::okta::identity::{self, Identity};
use crate::okta::{self, StoredCredentials};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::time::Duration;
use url::Url;

/// Clock difference with Okta beyond which a warning is given.
pub const CLOCK_WARN: Duration = Duration::from_secs(60);
/// Clock difference with Okta beyond which logins fail (Okta and AWS refuse SAML assertions
/// and signed requests that far off).
pub const CLOCK_FAIL: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// One check's result.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What was checked: `config`, `keychain`, `okta-credentials`, `okta`, `clock`, `sts`,
    /// `cache`, `lock`.
    pub check: &'static str,
    pub status: Status,
    pub message: String,
    /// What to do about a warning or failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// Machine-readable facts for `--json` (never a secret).
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub details: serde_json::Value,
}

impl Check {
    pub fn ok(check: &'static str, message: impl Into<String>) -> Check {
        Check {
            check,
            status: Status::Ok,
            message: message.into(),
            fix: None,
            details: serde_json::Value::Null,
        }
    }

    pub fn warn(check: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            status: Status::Warn,
            fix: Some(fix.into()),
            ..Check::ok(check, message)
        }
    }

    pub fn fail(check: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            status: Status::Fail,
            fix: Some(fix.into()),
            ..Check::ok(check, message)
        }
    }

    pub fn with(mut self, details: serde_json::Value) -> Check {
        self.details = details;
        self
    }
}

/// The Okta org one account logs in to, as the keychain (or the account record) says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    pub base: Url,
    /// The account labels that use it.
    pub accounts: Vec<String>,
}

/// The keychain backend (reachable, unlocked) and the stored Okta credentials of each account
/// (`okta_account_name` values; `None` is the default account). Returns the checks and the
/// Okta orgs found (from the keychain items, else from the account records `add` wrote, so a
/// locked keychain does not hide the org from the next checks).
pub fn keychain(keychain: &dyn Keychain, accounts: &[Option<String>]) -> (Vec<Check>, Vec<Org>) {
    let backend = keychain.backend().name();
    let mut checks = Vec::new();
    let mut orgs: Vec<Org> = Vec::new();
    let mut add_org = |base: Url, label: &str| add_org(&mut orgs, base, label);
    let mut per_account = Vec::new();
    let mut store_error = None;
    for account in accounts {
        let label = account.as_deref().unwrap_or("default");
        let item = okta::credentials_item(account.as_deref());
        let add = format!("aws-okta add{}", okta::account_flag(account.as_deref()));
        match keychain.get(&item) {
            Ok(Some(data)) => match serde_json::from_slice::<StoredCredentials>(&data) {
                Ok(stored) => match okta::parse_domain(&stored.domain) {
                    Ok(base) => {
                        let who = Identity::new(&base, &stored.username);
                        per_account.push(
                            Check::ok(
                                "okta-credentials",
                                format!("account '{label}': {} (item {item})", who.describe()),
                            )
                            .with(serde_json::json!({"account": label, "domain": who.domain, "username": who.username})),
                        );
                        add_org(base, label);
                    }
                    Err(e) => per_account.push(Check::fail(
                        "okta-credentials",
                        format!("account '{label}': the stored Okta domain is not usable ({e})"),
                        format!("run `{add}` with the right --domain"),
                    )),
                },
                Err(_) => per_account.push(Check::fail(
                    "okta-credentials",
                    format!("account '{label}': item {item} is not valid aws-okta data"),
                    format!("run `{add}` again"),
                )),
            },
            Ok(None) => {
                per_account.push(
                    Check::fail(
                        "okta-credentials",
                        format!("account '{label}': no Okta credentials stored (item {item})"),
                        format!("run `{add}`"),
                    )
                    .with(serde_json::json!({"account": label})),
                );
                if let Some(recorded) = identity::recorded(label).and_then(|i| i.base_url()) {
                    add_org(recorded, label);
                }
            }
            Err(e) => {
                store_error = Some(e.to_string());
                // The other accounts' items would fail the same way: their orgs come from
                // the account records.
                for (base, label) in recorded_orgs(accounts) {
                    add_org(base, &label);
                }
                break;
            }
        }
    }
    match store_error {
        Some(message) => {
            let fix = match keychain.backend() {
                crate::keychain::Backend::File => {
                    "give the file keychain's passphrase (AWS_OKTA_FILE_PASSPHRASE, _FILE or _COMMAND, or type it); if it is lost, remove ~/.aws-okta/keyring and run `aws-okta add` again"
                }
                crate::keychain::Backend::SecretService => {
                    "unlock the login keyring (log in to the desktop, or `gnome-keyring-daemon --unlock`), check DBUS_SESSION_BUS_ADDRESS, or use --backend file on a headless machine"
                }
                _ => "unlock the keychain, or choose another with --backend / AWS_OKTA_BACKEND",
            };
            checks.push(Check::fail(
                "keychain",
                format!("{backend}: cannot be read: {message}"),
                fix,
            ));
        }
        None => {
            let any = per_account.iter().any(|c| c.status == Status::Ok);
            checks.push(Check::ok(
                "keychain",
                if any {
                    format!("{backend}: reachable and unlocked")
                } else {
                    format!("{backend}: reachable (no Okta credentials stored in it yet)")
                },
            ));
            checks.extend(per_account);
        }
    }
    (checks, orgs)
}

fn add_org(orgs: &mut Vec<Org>, base: Url, label: &str) {
    match orgs.iter_mut().find(|o| o.base == base) {
        Some(org) if !org.accounts.iter().any(|a| a == label) => {
            org.accounts.push(label.to_string())
        }
        Some(_) => {}
        None => orgs.push(Org {
            base,
            accounts: vec![label.to_string()],
        }),
    }
}

/// The orgs the account records (written by `add`, no secret) name, for when the keychain
/// cannot be read.
pub fn recorded_orgs(accounts: &[Option<String>]) -> Vec<(Url, String)> {
    accounts
        .iter()
        .map(|a| a.as_deref().unwrap_or("default").to_string())
        .filter_map(|label| {
            identity::recorded(&label)
                .and_then(|i| i.base_url())
                .map(|base| (base, label))
        })
        .collect()
}

/// The orgs of [`recorded_orgs`], grouped.
pub fn orgs_of(found: Vec<(Url, String)>) -> Vec<Org> {
    let mut orgs = Vec::new();
    for (base, label) in found {
        add_org(&mut orgs, base, &label);
    }
    orgs
}

/// The proxy a request to `url` goes through by the environment reqwest reads
/// (`HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`, `NO_PROXY`), shown without any password.
pub fn proxy_for(url: &Url) -> Option<String> {
    let var = |names: &[&str]| {
        names.iter().find_map(|n| {
            std::env::var(n)
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .map(|v| (n.to_string(), v))
        })
    };
    let host = url.host_str().unwrap_or("");
    if let Some((_, no_proxy)) = var(&["NO_PROXY", "no_proxy"]) {
        let excluded = no_proxy.split(',').map(str::trim).any(|entry| {
            let entry = entry.trim_start_matches('.');
            entry == "*"
                || (!entry.is_empty() && (host == entry || host.ends_with(&format!(".{entry}"))))
        });
        if excluded {
            return None;
        }
    }
    let names: &[&str] = if url.scheme() == "https" {
        &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
    } else {
        &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
    };
    let (name, value) = var(names)?;
    let shown = Url::parse(&value)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{}://{h}:{p}", u.scheme()),
                None => format!("{}://{h}", u.scheme()),
            })
        })
        .unwrap_or_else(|| "(unparsable)".to_string());
    Some(format!("{shown} from {name}"))
}

/// The org answers `/.well-known/okta-organization` over https through the proxy settings in
/// effect (the HTTP client and TLS trust of a login), says its pipeline, and its `Date` agrees
/// with our clock. Two checks: `okta` and `clock`.
pub async fn okta_org(org: &Org, http: &crate::okta::http::OktaHttp) -> Vec<Check> {
    let base = &org.base;
    let accounts = org.accounts.join(", ");
    let shown = base.as_str().trim_end_matches('/').to_string();
    let route = match proxy_for(base) {
        Some(proxy) => format!("via proxy {proxy}"),
        None => "direct".to_string(),
    };
    let scheme_note = if base.scheme() == "https" {
        String::new()
    } else {
        " (plain http: allowed for loopback test servers only)".to_string()
    };
    let client = match crate::okta::http::build_http(base, http) {
        Ok(c) => c,
        Err(e) => {
            return vec![Check::fail(
                "okta",
                format!("{shown}: {e}"),
                "see the message",
            )]
        }
    };
    let url = match base.join(".well-known/okta-organization") {
        Ok(u) => u,
        Err(e) => {
            return vec![Check::fail(
                "okta",
                format!("{shown}: {e}"),
                "run `aws-okta add` with the right --domain",
            )]
        }
    };
    let sent = Utc::now();
    let response = match client.get(url).send().await {
        Ok(r) => r,
        Err(e) => {
            let host = base.host_str().unwrap_or("?");
            let (message, fix) = match crate::tls::certificate_problem(&e) {
                Some(problem) => (
                    problem.error("Okta", host).to_string(),
                    "trust the CA that signs it (system store, SSL_CERT_FILE or AWS_CA_BUNDLE)"
                        .to_string(),
                ),
                None => {
                    let e = e.without_url();
                    let why = causes(&e);
                    let what = if e.is_timeout() {
                        "timed out"
                    } else {
                        "failed"
                    };
                    (
                        format!("{shown} ({route}): connection {what} ({why})"),
                        "check the network, VPN or proxy (HTTPS_PROXY, NO_PROXY); the domain comes from `aws-okta add --domain`".to_string(),
                    )
                }
            };
            return vec![Check::fail("okta", message, fix).with(
                serde_json::json!({"org": shown, "accounts": org.accounts, "route": route}),
            )];
        }
    };
    let received = Utc::now();
    let status = response.status();
    let date = response
        .headers()
        .get(reqwest::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
        .map(|d| d.with_timezone(&Utc));
    let body = okta::http::read_text("Okta", response)
        .await
        .unwrap_or_default();
    let pipeline = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            v.get("pipeline")
                .and_then(|p| p.as_str())
                .map(str::to_string)
        });
    let details = serde_json::json!({"org": shown, "accounts": org.accounts, "route": route, "http_status": status.as_u16(), "pipeline": pipeline});
    let mut checks = vec![match (status.is_success(), pipeline.as_deref()) {
        (true, Some(p)) => {
            let engine = match p {
                "idx" => "Identity Engine",
                "v1" => "Classic Engine",
                _ => "unknown engine",
            };
            Check::ok(
                "okta",
                format!("{shown} ({route}){scheme_note}: reachable, {engine} (pipeline {p}); accounts {accounts}"),
            )
            .with(details)
        }
        _ => Check::fail(
            "okta",
            format!(
                "{shown} ({route}): answered HTTP {} without an Okta organization document: not an Okta org, or a proxy or captive portal answered",
                status.as_u16()
            ),
            "check the domain (`aws-okta add --domain`) and the proxy settings",
        )
        .with(details),
    }];
    checks.push(match date {
        None => Check::warn(
            "clock",
            format!("{shown} sent no Date header: the clock cannot be compared"),
            "make sure the system clock is synchronised (e.g. `timedatectl`)",
        ),
        Some(theirs) => {
            // Ours at the moment they answered: the middle of the exchange.
            let ours = sent + (received - sent) / 2;
            let skew = ours - theirs;
            let secs = skew.num_seconds();
            let abs = secs.unsigned_abs();
            let direction = if secs >= 0 { "ahead of" } else { "behind" };
            let message = if abs == 0 {
                format!("this machine's clock agrees with {shown}'s (within 1s)")
            } else {
                format!("this machine's clock is {abs}s {direction} {shown}'s")
            };
            let details = serde_json::json!({"org": shown, "skew_seconds": secs});
            let fix = "synchronise the system clock (e.g. `timedatectl set-ntp true`, or your OS's time settings): Okta and AWS refuse requests and SAML assertions that far off";
            if abs > CLOCK_FAIL.as_secs() {
                Check::fail("clock", message, fix).with(details)
            } else if abs > CLOCK_WARN.as_secs() {
                Check::warn("clock", message, fix).with(details)
            } else {
                Check::ok("clock", message).with(details)
            }
        }
    });
    checks
}

/// The STS endpoints the config's chains use: the user's `AWS_ENDPOINT_URL_STS` /
/// `AWS_ENDPOINT_URL`, else the regional endpoint of each region used (default per
/// partition), in order of first use.
pub fn sts_endpoints(regions: &[String], endpoint: Option<&str>) -> Vec<String> {
    if let Some(endpoint) = endpoint {
        return vec![endpoint.to_string()];
    }
    let mut out: Vec<String> = Vec::new();
    for region in regions {
        let suffix = if region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        let url = format!("https://sts.{region}.{suffix}");
        if !out.contains(&url) {
            out.push(url);
        }
    }
    out
}

/// One plain GET to an STS endpoint (any HTTP answer means it is reachable), with the TLS
/// trust of our clients and the proxy settings of the environment.
pub async fn sts(endpoint: &str) -> Check {
    let details = serde_json::json!({"endpoint": endpoint});
    let url = match Url::parse(endpoint) {
        Ok(u) => u,
        Err(e) => {
            return Check::fail(
                "sts",
                format!("{endpoint}: not a URL ({e})"),
                "fix AWS_ENDPOINT_URL_STS",
            )
            .with(details)
        }
    };
    let client = match crate::tls::client_config().and_then(|tls| {
        reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .user_agent(crate::USER_AGENT)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| crate::Error::network(e.to_string()))
    }) {
        Ok(c) => c,
        Err(e) => {
            return Check::fail("sts", format!("{endpoint}: {e}"), "see the message").with(details)
        }
    };
    let route = match proxy_for(&url) {
        Some(proxy) => format!("via proxy {proxy}"),
        None => "direct".to_string(),
    };
    match client.get(url.clone()).send().await {
        Ok(response) => Check::ok(
            "sts",
            format!(
                "{endpoint} ({route}): reachable (HTTP {})",
                response.status().as_u16()
            ),
        )
        .with(details),
        Err(e) => {
            let host = url.host_str().unwrap_or("?");
            let message = match crate::tls::certificate_problem(&e) {
                Some(problem) => problem.error("AWS STS", host).to_string(),
                None => {
                    let e = e.without_url();
                    format!("{endpoint} ({route}): connection failed ({})", causes(&e))
                }
            };
            Check::fail(
                "sts",
                message,
                "check the network, VPN or proxy, and AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL if set",
            )
            .with(details)
        }
    }
}

/// What the cache index says is cached for `backend`: credential sets with their expiry, and
/// the Okta sessions. Never a secret (the index holds none).
pub fn cache(backend: &str) -> Check {
    let index = Index::load();
    let now = Utc::now();
    let entries = index.credentials_of(backend);
    let fresh: Vec<_> = entries.iter().filter(|e| e.expiration > now).collect();
    let sessions: Vec<_> = index
        .sessions
        .values()
        .filter(|s| s.backend == backend)
        .collect();
    let details = serde_json::json!({
        "credentials": entries.iter().map(|e| serde_json::json!({
            "profile": e.profile,
            "role_arn": e.role_arn,
            "expiration": rfc3339(&e.expiration),
            "fresh": e.expiration > now,
        })).collect::<Vec<_>>(),
        "okta_sessions": sessions.iter().map(|s| serde_json::json!({
            "account": s.account,
            "stored_at": rfc3339(&s.stored_at),
        })).collect::<Vec<_>>(),
    });
    let mut parts = Vec::new();
    if entries.is_empty() {
        parts.push("no AWS credentials cached".to_string());
    } else {
        let mut line = format!(
            "{} AWS credential set{} cached ({} fresh",
            entries.len(),
            if entries.len() == 1 { "" } else { "s" },
            fresh.len()
        );
        if let Some(last) = fresh.iter().map(|e| e.expiration).max() {
            line.push_str(&format!(", the last until {}", rfc3339(&last)));
        }
        line.push(')');
        parts.push(line);
    }
    for s in &sessions {
        parts.push(format!(
            "Okta session of account '{}' stored {}",
            s.account,
            rfc3339(&s.stored_at)
        ));
    }
    if sessions.is_empty() {
        parts.push("no Okta session (the next login asks for MFA)".to_string());
    }
    Check::ok("cache", format!("{backend}: {}", parts.join("; "))).with(details)
}

/// An error's causes, innermost last (`client error (Connect): tcp connect error: Connection
/// refused (os error 111)`), each once.
fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = std::error::Error::source(e);
    while let Some(cause) = current {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = cause.source();
    }
    if parts.is_empty() {
        e.to_string()
    } else {
        parts.join(": ")
    }
}

/// Login lock files: a login in progress is fine; a file naming a process that no longer runs
/// (killed during a login) is stale. It blocks nothing (the lock itself ended with that
/// process) but tells waiting logins the wrong holder.
pub fn locks() -> Vec<Check> {
    let files = crate::cache::inspect_locks();
    let mut checks = Vec::new();
    for lock in &files {
        let path = lock.path.display();
        match lock {
            LockFile { held: true, pid, .. } => checks.push(Check::ok(
                "lock",
                format!(
                    "{path}: a login is in progress{}",
                    pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
                ),
            )),
            LockFile {
                held: false,
                pid: Some(pid),
                pid_runs: Some(false),
                ..
            } => checks.push(
                Check::warn(
                    "lock",
                    format!("{path} names pid {pid}, which no longer runs (a login was killed): stale"),
                    format!("remove it: rm '{path}' (it blocks no login, but misleads the \"waiting for pid\" message)"),
                )
                .with(serde_json::json!({"path": lock.path, "pid": pid})),
            ),
            _ => {}
        }
    }
    if checks.is_empty() {
        checks.push(Check::ok(
            "lock",
            format!(
                "no stale login lock ({} lock file{})",
                files.len(),
                if files.len() == 1 { "" } else { "s" }
            ),
        ));
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sts_endpoints_per_partition_without_an_override() {
        let regions = ["us-east-1", "cn-north-1", "us-east-1", "us-gov-west-1"].map(String::from);
        assert_eq!(
            sts_endpoints(&regions, None),
            [
                "https://sts.us-east-1.amazonaws.com",
                "https://sts.cn-north-1.amazonaws.com.cn",
                "https://sts.us-gov-west-1.amazonaws.com"
            ]
        );
    }

    #[test]
    fn checks_serialise_without_empty_fields() {
        let line = serde_json::to_string(&Check::ok("cache", "nothing")).unwrap();
        assert_eq!(
            line,
            r#"{"check":"cache","status":"ok","message":"nothing"}"#
        );
        let line = serde_json::to_string(&Check::fail("sts", "down", "fix it")).unwrap();
        assert_eq!(
            line,
            r#"{"check":"sts","status":"fail","message":"down","fix":"fix it"}"#
        );
    }
}
