//! Which engine runs the org: `GET /.well-known/okta-organization` (public) answers
//! `{"id","pipeline":"v1"|"idx"}`. The answer is kept per Okta account in the keychain.
use super::OAuthClient;
use crate::keychain::Keychain;
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
    /// The org it was read from: a changed domain reads it again.
    base: String,
    pipeline: String,
}

#[derive(Deserialize)]
struct OrgDocument {
    #[serde(default)]
    pipeline: String,
}

pub fn pipeline_item(account: &str) -> String {
    format!("okta-org-{account}")
}

/// The cached pipeline of the account, if any (no network).
pub fn cached(keychain: &dyn Keychain, account: &str, base: &str) -> Result<Option<Pipeline>> {
    let Some(data) = keychain.get(&pipeline_item(account))? else {
        return Ok(None);
    };
    Ok(serde_json::from_slice::<Cached>(&data)
        .ok()
        .filter(|c| c.base == base)
        .and_then(|c| Pipeline::parse(&c.pipeline)))
}

/// The org's pipeline: from the keychain, else read (and cached). `refresh` reads it again.
pub async fn pipeline(
    client: &OAuthClient,
    keychain: &dyn Keychain,
    account: &str,
    refresh: bool,
) -> Result<Pipeline> {
    let base = client.base.as_str().to_string();
    if !refresh {
        if let Some(found) = cached(keychain, account, &base)? {
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
        base,
        pipeline: found.name().to_string(),
    })
    .map_err(|e| Error::Io(e.to_string()))?;
    keychain.set(&pipeline_item(account), &data)?;
    Ok(found)
}
