//! The classic authentication API's wire types (`/api/v1/authn` answers: status, factors,
//! links, challenges), as Okta documents them. The state machine (`authn`) and each factor
//! (`factors::*`) read these; neither depends on the other for them.
use super::OktaClient;
use crate::{Error, Result};
use secrecy::SecretString;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthnResponse {
    pub status: String,
    #[serde(default)]
    pub state_token: Option<SecretString>,
    #[serde(default)]
    pub session_token: Option<SecretString>,
    #[serde(default)]
    pub factor_result: Option<String>,
    #[serde(rename = "_embedded", default)]
    pub embedded: Embedded,
    #[serde(rename = "_links", default)]
    pub links: Links,
}

#[derive(Debug, Deserialize, Default)]
pub struct Embedded {
    /// MFA_REQUIRED lists factors as an array; newer examples show a single `factor`.
    #[serde(default)]
    pub factors: Option<Vec<Factor>>,
    #[serde(default)]
    pub factor: Option<Factor>,
    #[serde(default)]
    pub policy: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize, Default)]
pub struct Links {
    #[serde(default)]
    pub next: Option<Link>,
    #[serde(default)]
    pub skip: Option<Link>,
    /// `resend` is an array of named links (older examples show a single object).
    #[serde(default)]
    pub resend: Option<OneOrMany<Link>>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    pub fn first(&self) -> Option<&T> {
        match self {
            OneOrMany::One(one) => Some(one),
            OneOrMany::Many(many) => many.first(),
        }
    }
}

#[derive(Debug, Deserialize, Clone)]
pub struct Link {
    pub href: String,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Factor {
    /// Absent on factors offered for enrollment (`MFA_ENROLL`).
    #[serde(default)]
    pub id: String,
    pub factor_type: String,
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub vendor_name: Option<String>,
    #[serde(default)]
    pub profile: FactorProfile,
    #[serde(rename = "_links", default)]
    pub links: FactorLinks,
    #[serde(rename = "_embedded", default)]
    pub embedded: Option<FactorEmbedded>,
}

#[derive(Debug, Deserialize, Clone, Default)]
pub struct FactorLinks {
    #[serde(default)]
    pub verify: Option<Link>,
}

/// The parts of a factor's `profile` shown to the user or needed to verify it.
#[derive(Debug, Deserialize, Clone, Default)]
#[serde(rename_all = "camelCase")]
pub struct FactorProfile {
    #[serde(default)]
    pub credential_id: Option<String>,
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub question_text: Option<String>,
    #[serde(default)]
    pub authenticator_name: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, Clone, Default)]
pub struct FactorEmbedded {
    #[serde(default)]
    pub challenge: Option<Challenge>,
    /// Duo: where the Duo prompt is and where its answer goes.
    #[serde(default)]
    pub verification: Option<DuoVerification>,
}

#[derive(Debug, Deserialize, Clone, Default)]
#[serde(rename_all = "camelCase")]
pub struct Challenge {
    /// Okta Verify number challenge.
    #[serde(default)]
    pub correct_answer: Option<u32>,
    /// WebAuthn challenge (base64url).
    #[serde(default)]
    pub challenge: Option<String>,
}

#[derive(Deserialize, Clone)]
pub struct DuoVerification {
    pub host: String,
    pub signature: SecretString,
    #[serde(rename = "_links")]
    pub links: DuoLinks,
}

impl std::fmt::Debug for DuoVerification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DuoVerification")
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize, Clone)]
pub struct DuoLinks {
    pub complete: Link,
}

impl AuthnResponse {
    pub fn factors(&self) -> Vec<Factor> {
        match (&self.embedded.factors, &self.embedded.factor) {
            (Some(list), _) => list.clone(),
            (None, Some(one)) => vec![one.clone()],
            (None, None) => Vec::new(),
        }
    }

    pub fn state_token(&self) -> Result<&SecretString> {
        self.state_token.as_ref().ok_or_else(|| {
            Error::OktaResponse(format!(
                "Okta answered {} without a stateToken",
                self.status
            ))
        })
    }

    /// The number Okta Verify asks the user to tap, when it is a number challenge.
    pub fn correct_answer(&self) -> Option<u32> {
        self.factor_embedded()?.challenge.as_ref()?.correct_answer
    }

    /// `_embedded.factor._embedded` of a challenge answer.
    pub fn factor_embedded(&self) -> Option<&FactorEmbedded> {
        self.embedded.factor.as_ref()?.embedded.as_ref()
    }

    /// The MFA policy lets this device be remembered (`allowRememberDevice`).
    pub fn allows_remember_device(&self) -> bool {
        self.embedded
            .policy
            .as_ref()
            .and_then(|p| p.get("allowRememberDevice"))
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }

    /// The `next` link, or the given fallback.
    pub fn next_or(&self, client: &OktaClient, fallback: &url::Url) -> Result<url::Url> {
        match &self.links.next {
            Some(link) => client.link(&link.href),
            None => Ok(fallback.clone()),
        }
    }
}
