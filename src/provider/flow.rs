//! The login flows behind one interface: each proves the user to AWS in its own way and
//! hands the hub hop what it consumes. `hub` chooses one ([`login_flow`]) and calls it; every
//! flow the config can name has an implementation, so there is no "cannot happen" arm.
use super::LoginOptions;
use crate::cache::Cache;
use crate::config::Chain;
use crate::okta::oie::{self, Flow, OAuthFlow};
use crate::okta::OktaAccount;
use crate::Result;
use std::future::Future;
use std::pin::Pin;

pub use crate::okta::oie::token::HubProof;

/// What a flow gets: the resolved chain, the cache (Okta session, tokens), the user's options
/// and the stored Okta account the login is for.
#[derive(Clone, Copy)]
pub struct Login<'a> {
    pub chain: &'a Chain,
    pub cache: &'a Cache<'a>,
    pub options: &'a LoginOptions,
    pub account: &'a OktaAccount,
}

/// A flow's work: it borrows the flow (`'f`); what it proves may borrow the login (`'a`).
pub type LoginFuture<'f, 'a> = Pin<Box<dyn Future<Output = Result<Proved<'a>>> + 'f>>;

/// Work a login leaves to finish beside the hub's STS call (it needs nothing from it).
pub type Bookkeeping<'a> = Pin<Box<dyn Future<Output = Result<()>> + 'a>>;

/// What a flow proved, and the bookkeeping it left: remembering a new Okta session (learning
/// its end from Okta, then storing it). That is one Okta round trip and a keychain write; the
/// hub's AssumeRoleWithSAML does not wait for them. It must still finish before the login
/// returns, success or not ([`Proved::settled`] for callers with nothing to overlap).
pub struct Proved<'a> {
    pub proof: HubProof,
    pub bookkeeping: Option<Bookkeeping<'a>>,
}

impl<'a> Proved<'a> {
    /// A proof with nothing left to do.
    pub fn done(proof: HubProof) -> Proved<'a> {
        Proved {
            proof,
            bookkeeping: None,
        }
    }

    /// The proof, once the bookkeeping is done.
    pub async fn settled(self) -> Result<HubProof> {
        finish(self.bookkeeping).await?;
        Ok(self.proof)
    }
}

/// Runs what a login left, if anything.
pub async fn finish(bookkeeping: Option<Bookkeeping<'_>>) -> Result<()> {
    match bookkeeping {
        Some(work) => work.await,
        None => Ok(()),
    }
}

/// One way to sign in to Okta.
pub trait LoginFlow {
    /// As `okta_auth_flow` spells it.
    fn name(&self) -> &'static str;
    /// Signs in (reusing what is cached when it still works) and returns the proof for AWS.
    fn hub_proof<'f, 'a: 'f>(&'f self, login: Login<'a>) -> LoginFuture<'f, 'a>;
}

/// The implementation of a chosen flow.
pub fn login_flow(flow: Flow) -> Box<dyn LoginFlow> {
    match flow {
        Flow::Classic => Box::new(super::classic::Classic),
        Flow::Direct => Box::new(OAuthTokens(OAuthFlow::Direct)),
        Flow::Device => Box::new(OAuthTokens(OAuthFlow::Device)),
    }
}

/// The Identity Engine flows (direct authentication, device authorization): OAuth tokens from
/// Okta, refreshed without a user step while they last, exchanged for the AWS app's SAML
/// assertion (or an id token for `okta_hub_trust = oidc`).
struct OAuthTokens(OAuthFlow);

impl LoginFlow for OAuthTokens {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn hub_proof<'f, 'a: 'f>(&'f self, login: Login<'a>) -> LoginFuture<'f, 'a> {
        Box::pin(async move {
            let Login {
                chain,
                cache,
                options,
                account,
            } = login;
            let factor_type = options
                .factor
                .factor_type
                .clone()
                .or_else(|| chain.okta.mfa_factor_type.clone());
            let request = oie::token::Request {
                okta: &chain.okta,
                account,
                keychain: cache.keychain(),
                flow: self.0,
                trust: chain.okta.hub_trust,
                factor_type: factor_type.as_deref(),
                no_browser: options.no_browser,
                http: &options.settings.okta_http,
            };
            oie::token::hub_proof(&request).await.map(Proved::done)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flow_has_an_implementation_named_as_the_config_names_it() {
        for flow in [Flow::Classic, Flow::Direct, Flow::Device] {
            assert_eq!(login_flow(flow).name(), flow.name());
        }
    }
}
