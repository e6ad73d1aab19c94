//! Which engine runs the org: `GET /.well-known/okta-organization` (public) answers
//! `{"id","pipeline":"v1"|"idx"}`. The answer is kept per Okta account in the keychain.
use super::OAuthClient;
use crate::keychain::Keychain;
use crate::okta::identity::Identity;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pipeline {
    /// `v1`: Classic Engine.
    Classic,
    /// `idx`: Identity Engine.
    Idx,
}

impl Pipeline {
    pub fn name(self) -> &'static str {
        match self {
            Pipeline::Classic => "v1",
            Pipeline::Idx => "idx",
        }
    }

    fn parse(value: &str) -> Option<Pipeline> {
        match value {
            "v1" => Some(Pipeline::Classic),
            "idx" => Some(Pipeline::Idx),
            _ => None,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Cached {
    /// Whom it was read for: another org (or user) reads it again. `None` in items written
    /// before they recorded it (they had the org's `base` only), which count as absent.
    #[serde(default)]
    identity: Option<Identity>,
    pipeline: String,
}

#[derive(Deserialize)]
struct OrgDocument {
    #[serde(default)]
    pipeline: String,
}

pub fn pipeline_item(account: &str) -> String {
    crate::keychain::items::org_pipeline(account)
}

/// The cached pipeline of the account, if any and read for `identity` (no network); one read
/// for another identity (or for none) is deleted.
pub fn cached(
    keychain: &dyn Keychain,
    account: &str,
    identity: &Identity,
) -> Result<Option<Pipeline>> {
    let cached = crate::okta::identity::load_for(
        keychain,
        &pipeline_item(account),
        identity,
        |c: &Cached| c.identity.as_ref(),
    )?;
    Ok(cached.and_then(|c| Pipeline::parse(&c.pipeline)))
}

/// The org's pipeline: from the keychain, else read (and cached). `refresh` reads it again.
/// `client` is on `identity`'s org.
pub async fn pipeline(
    client: &OAuthClient,
    keychain: &dyn Keychain,
    account: &str,
    identity: &Identity,
    refresh: bool,
) -> Result<Pipeline> {
    let base = client.base.as_str().to_string();
    if !refresh {
        if let Some(found) = cached(keychain, account, identity)? {
            tracing::debug!(pipeline = found.name(), "okta pipeline from cache");
            return Ok(found);
        }
    }
    let url = client.url(".well-known/okta-organization")?;
    let (status, text) = client.get_text(url).await?;
    let doc: Option<OrgDocument> = status
        .is_success()
        .then(|| serde_json::from_str(&text).ok())
        .flatten();
    let found = doc.and_then(|d| Pipeline::parse(&d.pipeline)).ok_or_else(|| {
        Error::OktaResponse(format!(
            "{base}.well-known/okta-organization did not answer with an Okta pipeline (HTTP {status}): is the domain an Okta org? Set okta_auth_flow to skip detection"
        ))
    })?;
    tracing::debug!(pipeline = found.name(), "okta pipeline detected");
    let data = serde_json::to_vec(&Cached {
        identity: Some(identity.clone()),
        pipeline: found.name().to_string(),
    })
    .map_err(Error::encode("the org pipeline"))?;
    keychain.set(&pipeline_item(account), &data)?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keychain::MemoryKeychain;

    #[test]
    fn the_cached_pipeline_is_read_for_its_identity_only() {
        let keychain = MemoryKeychain::default();
        let base = crate::okta::parse_domain("a.okta.com").unwrap();
        let a = Identity::new(&base, "alice@example.com");
        let data = serde_json::to_vec(&Cached {
            identity: Some(a.clone()),
            pipeline: "idx".into(),
        })
        .unwrap();
        keychain.set(&pipeline_item("acct"), &data).unwrap();
        assert_eq!(cached(&keychain, "acct", &a).unwrap(), Some(Pipeline::Idx));
        let bob = Identity::new(&base, "bob@example.com");
        assert_eq!(cached(&keychain, "acct", &bob).unwrap(), None);
        assert!(keychain.get(&pipeline_item("acct")).unwrap().is_none());
        // The format before identities: the org only.
        let old = br#"{"base":"https://a.okta.com/","pipeline":"idx"}"#;
        keychain.set(&pipeline_item("acct"), old).unwrap();
        assert_eq!(cached(&keychain, "acct", &a).unwrap(), None);
    }
}
