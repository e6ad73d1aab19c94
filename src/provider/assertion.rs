//! The SAML assertion alone, with no STS call: what `roles` lists and `--role PATTERN` picks
//! from. The same login as a profile's hub hop (the cached Okta session first, one push at
//! most, the account's login lock held), for the org and app of `okta`.
use super::{hub, LoginOptions};
use crate::cache::{Cache, LoginLock};
use crate::config::{Chain, OktaSettings};
use crate::keychain::Keychain;
use crate::okta::identity::{self, Identity};
use crate::okta::oie::token::HubProof;
use crate::okta::OktaAccount;
use crate::saml::SamlAssertion;
use crate::{Error, Result};

/// The assertion Okta's AWS app gives the user of `okta`'s account.
pub fn assertion(
    okta: &OktaSettings,
    keychain: &dyn Keychain,
    options: &LoginOptions,
) -> Result<SamlAssertion> {
    let chain = Chain::for_role(okta.clone(), "roles", None, None)?;
    let label = okta.account_label();
    let _lock = LoginLock::acquire(label, options.settings.lock_timeout)?;
    let account = OktaAccount::load(keychain, okta.account_name.as_deref())?;
    identity::ensure_recorded(label, &Identity::of(&account));
    let cache = Cache::new(keychain).expiring_within(options.settings.expiry_window);
    let runtime = crate::runtime::current_thread()?;
    match runtime.block_on(async { hub::proof(&chain, &cache, options, &account).await?.settled().await })? {
        HubProof::Saml(assertion) => Ok(assertion),
        HubProof::WebIdentity(_) => Err(Error::Config(format!(
            "Okta account '{label}' uses okta_hub_trust = oidc: an id token offers no list of roles; use a profile with role_arn instead"
        ))),
    }
}
