//! The AWS credentials every part of aws-okta passes around: what STS granted, what the
//! cache seals, what `cred-process`, `env`, `exec` and the credential server hand out. A leaf
//! type (serde, chrono and zeroize only): STS converts its answers into it (`sts`), nothing
//! here knows where they came from.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

/// `2026-12-06T15:04:05Z`: how every output format (credential_process JSON, the container
/// credential endpoint, `~/.aws/credentials`, `cache list`) writes a time.
pub fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expiration: DateTime<Utc>,
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`
    pub assumed_role_arn: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &crate::redact::prefix(&self.access_key_id))
            .field("expiration", &self.expiration)
            .field("assumed_role_arn", &self.assumed_role_arn)
            .finish_non_exhaustive()
    }
}

impl Drop for Credentials {
    fn drop(&mut self) {
        self.secret_access_key.zeroize();
        self.session_token.zeroize();
    }
}

impl Credentials {
    /// Counts the validity STS granted on this machine's clock: a clock behind AWS's would
    /// otherwise serve the credentials (and tell SDKs they are good) past their real end. AWS
    /// never grants more than was asked for (nor over 12 h), so a later expiry is capped to the
    /// requested duration; beyond 12 h it can only be clock skew, and the user is told.
    /// (STS emulators such as moto may grant the SAML SessionDuration instead: capped quietly.)
    pub fn fit_to_local_clock(&mut self, requested: std::time::Duration) {
        let now = Utc::now();
        // `requested` comes from the config and Okta's SessionDuration: never an overflow panic.
        let requested = chrono::Duration::from_std(requested)
            .unwrap_or(chrono::Duration::hours(12))
            .min(chrono::Duration::hours(12));
        let latest = now.checked_add_signed(requested).unwrap_or(now);
        let ahead = self.expiration - latest;
        if ahead <= chrono::Duration::minutes(5) {
            return;
        }
        if self.expiration - now > chrono::Duration::hours(12) + chrono::Duration::minutes(5) {
            crate::warning!(
                "this machine's clock seems about {} min behind AWS's (STS says {} expire at {}); counting their {} min from now instead: check the system clock (e.g. `timedatectl`)",
                ahead.num_minutes(),
                self.assumed_role_arn,
                rfc3339(&self.expiration),
                requested.num_minutes(),
            );
        } else {
            tracing::debug!(expiration = %self.expiration, "STS granted more than asked; counting the requested duration");
        }
        self.expiration = latest;
    }

    /// The session name of an assumed role (`.../ROLE/SESSION`), carried into the next hop.
    pub fn session_name(&self) -> Option<&str> {
        self.assumed_role_arn
            .rsplit('/')
            .next()
            .filter(|s| !s.is_empty() && !self.assumed_role_arn.ends_with(':'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(arn: &str) -> Credentials {
        Credentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: "secretkey".into(),
            session_token: "token".into(),
            expiration: Utc::now(),
            assumed_role_arn: arn.into(),
        }
    }

    #[test]
    fn session_name_comes_from_the_assumed_role_arn() {
        assert_eq!(
            creds("arn:aws:sts::1:assumed-role/hub/alice@example.com").session_name(),
            Some("alice@example.com")
        );
        assert_eq!(creds("arn:aws:sts::1:").session_name(), None);
    }

    #[test]
    fn debug_hides_secrets() {
        let shown = format!("{:?}", creds("arn:aws:sts::1:assumed-role/hub/a"));
        assert!(
            !shown.contains("secretkey")
                && !shown.contains("token")
                && !shown.contains("ASIAEXAMPLE"),
            "{shown}"
        );
    }
}
