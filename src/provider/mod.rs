//! Credential sources that wrap each other: the keychain cache in front, then the hub hop
//! (a login flow from `flow` → SAML or id token → AssumeRoleWithSAML/WithWebIdentity, in
//! `hub`), then one AssumeRole per spoke hop. The warm path reads
//! the cache only: no async runtime, TLS stack or SDK client is built unless a hop is missing.
mod assertion;
mod classic;
mod flow;
mod hub;

pub use assertion::assertion;

use crate::cache::{Cache, CacheKey, LoginLock};
use crate::config::Chain;
use crate::credentials::Credentials;
use crate::keychain::Keychain;
use crate::okta::factors::FactorChoice;
use crate::okta::identity::{self, Identity};
use crate::okta::OktaAccount;
use crate::sts::{self, Sts};
use crate::Result;

/// How to log in when the cache cannot answer.
#[derive(Debug, Clone, Default)]
pub struct LoginOptions {
    /// Factor choice from flags/env; the config's mfa_provider/mfa_factor_type fill the gaps.
    pub factor: FactorChoice,
    /// `--no-cache`: ignore cached credentials and the Okta session (results are still stored).
    pub no_cache: bool,
    /// `--auth-flow`/`AWS_OKTA_AUTH_FLOW` (auto, classic, direct, device), over okta_auth_flow.
    pub auth_flow: Option<crate::config::FlowSetting>,
    /// `--no-browser`, or no browser can be opened here (`Settings::browser`): print the
    /// device-flow address instead of opening it.
    pub no_browser: bool,
    /// What the environment said (read once, by `cli`).
    pub settings: crate::settings::Settings,
}

/// The final credentials of a chain when the cache has them fresh; never logs in, never
/// talks to Okta or STS (`exec --server` after a login needed input: it picks up what a login
/// in another terminal stored).
pub fn cached(
    chain: &Chain,
    keychain: &dyn Keychain,
    settings: &crate::settings::Settings,
) -> Result<Option<Credentials>> {
    // Keyed by the account's recorded identity, as the warm path is; without a record there
    // is nothing this process may use without a login.
    let Some(identity) = identity::recorded(chain.okta.account_label()) else {
        return Ok(None);
    };
    match CacheKey::for_chain(chain, &identity).last() {
        Some(key) => Cache::new(keychain)
            .expiring_within(settings.expiry_window)
            .credentials(key),
        None => Ok(None),
    }
}

/// The keychain items an Okta login for `chain` reads, for [`Keychain::prefetch`]: the stored
/// account, its Okta session and remembered device, and where an OIDC client is configured
/// the org's pipeline and the OAuth tokens.
fn login_items(chain: &Chain) -> Vec<String> {
    use crate::keychain::items;
    let label = chain.okta.account_label();
    let mut wanted = vec![
        items::okta_credentials(chain.okta.account_name.as_deref()),
        items::okta_session(label),
        items::device_token(label),
    ];
    let oidc = chain.okta.oidc_client_id.as_deref();
    if oidc.is_some_and(|id| !id.trim().is_empty()) {
        wanted.push(items::org_pipeline(label));
        wanted.push(items::oauth_tokens(label));
    }
    wanted
}

/// The final credentials of a chain: from the cache when fresh, else by logging in.
pub fn credentials(
    chain: &Chain,
    keychain: &dyn Keychain,
    options: &LoginOptions,
) -> Result<Credentials> {
    let cache = Cache::new(keychain).expiring_within(options.settings.expiry_window);
    let label = chain.okta.account_label();
    let cached = |key: &CacheKey| {
        if options.no_cache {
            Ok(None)
        } else {
            cache.credentials(key)
        }
    };
    // The cache keys cover the account's Okta identity. The warm path takes it from the
    // account record (a small plain file, see `okta::identity`), not from the keychain item,
    // whose password costs the `file` backend an Argon2id derivation.
    let recorded = identity::recorded(label);
    if let Some(identity) = &recorded {
        if let Some(last) = CacheKey::for_chain(chain, identity).last() {
            if let Some(creds) = cached(last)? {
                return Ok(creds);
            }
        }
    }
    // Cold path. Serialise logins per Okta account; whoever waited finds the cache filled.
    let _lock = LoginLock::acquire(label, options.settings.lock_timeout)?;
    // Without a record (an install from before records), the keychain item says who the
    // account is, and the record is written for the next warm run.
    let mut account = None;
    let mut identity = match recorded {
        Some(identity) => identity,
        None => {
            let loaded = OktaAccount::load(keychain, chain.okta.account_name.as_deref())?;
            let identity = Identity::of(&loaded);
            identity::ensure_recorded(label, &identity);
            account = Some(loaded);
            identity
        }
    };
    let mut keys = CacheKey::for_chain(chain, &identity);
    let mut start = None;
    for (index, key) in keys.iter().enumerate().rev() {
        if let Some(creds) = cached(key)? {
            if index == keys.len() - 1 {
                return Ok(creds);
            }
            start = Some((index, creds));
            break;
        }
    }
    // An Okta login follows: its TLS roots are read while the password is, and the items a
    // login reads are read from the keychain in one batch where that is cheaper.
    let _read_ahead = start.is_none().then(|| {
        crate::tls::build_in_background();
        keychain.prefetch(&login_items(chain))
    });
    let runtime = crate::runtime::current_thread()?;
    runtime.block_on(async {
        let sts = Sts::load(options.settings.sts_endpoint.as_deref()).await?;
        let (mut index, mut creds) = match start {
            Some(found) => found,
            None => {
                let account = match account {
                    Some(account) => account,
                    None => OktaAccount::load(keychain, chain.okta.account_name.as_deref())?,
                };
                // The keychain item is the truth: a record that disagrees (an interrupted
                // `add`, a keychain copied from elsewhere) is corrected, and what this login
                // obtains is cached under the identity it logged in as.
                let actual = Identity::of(&account);
                if actual != identity {
                    identity::ensure_recorded(label, &actual);
                    keys = CacheKey::for_chain(chain, &actual);
                    identity = actual;
                }
                tracing::debug!(okta = %identity.describe(), "logging in");
                let mut creds = hub::credentials(chain, &cache, &sts, options, account).await?;
                creds.fit_to_local_clock(chain.saml.session_ttl);
                cache.keep(&keys[0], &creds);
                (0, creds)
            }
        };
        while index < chain.hops.len() {
            let hop = &chain.hops[index];
            let region = hop
                .region
                .as_deref()
                .unwrap_or_else(|| sts::default_region(Some(&hop.role_arn)));
            let session_name = sts::session_name(
                hop.role_session_name
                    .as_deref()
                    .or(creds.session_name())
                    .unwrap_or("aws-okta"),
            );
            creds = sts
                .assume_role(
                    region,
                    &creds,
                    &hop.role_arn,
                    &session_name,
                    hop.external_id.as_deref(),
                    hop.ttl,
                )
                .await?;
            creds.fit_to_local_clock(hop.ttl);
            index += 1;
            cache.keep(&keys[index], &creds);
        }
        Ok(creds)
    })
}
