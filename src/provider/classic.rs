//! The classic login flow: the Okta session cached from an earlier login when it is still
//! good (one request: the AWS app link), else primary authentication with MFA
//! (`/api/v1/authn`), then the AWS app link, whose page carries the SAML assertion.
use super::flow::{Bookkeeping, HubProof, Login, LoginFlow, LoginFuture, Proved};
use crate::cache::Cache;
use crate::config::Chain;
use crate::okta::app::{self, SessionProof};
use crate::okta::factors::FactorChoice;
use crate::okta::identity::Identity;
use crate::okta::oie::{self, detect::Pipeline};
use crate::okta::origin::OktaOrigin;
use crate::okta::session::{self, SessionState};
use crate::okta::{authn, OktaClient};
use crate::saml::{extract_saml_response, SamlAssertion};
use crate::{Error, Result};

/// Okta's classic authentication API and the AWS app link.
pub struct Classic;

impl LoginFlow for Classic {
    fn name(&self) -> &'static str {
        "classic"
    }

    fn hub_proof<'f, 'a: 'f>(&'f self, login: Login<'a>) -> LoginFuture<'f, 'a> {
        Box::pin(async move {
            let identity = Identity::of(login.account);
            match saml_assertion(&login).await {
                Ok((assertion, bookkeeping)) => Ok(Proved {
                    proof: HubProof::Saml(assertion),
                    bookkeeping,
                }),
                Err(e) => {
                    let http = &login.options.settings.okta_http;
                    Err(classic_on_idx_hint(e, login.chain, login.cache, &identity, http).await)
                }
            }
        })
    }
}

/// A classic login whose app link gave no SAML page, or whose factor needs a browser: on an
/// Identity Engine org (read now, best effort), say what to configure instead.
async fn classic_on_idx_hint(
    e: Error,
    chain: &Chain,
    cache: &Cache<'_>,
    identity: &Identity,
    http: &crate::okta::http::OktaHttp,
) -> Error {
    if !matches!(e, Error::Saml(_) | Error::MfaNeedsBrowser(_)) {
        return e;
    }
    let client = identity
        .base_url()
        .and_then(|base| oie::OAuthClient::new(base, "", None, http).ok());
    let pipeline = match client {
        Some(client) => oie::detect::pipeline(
            &client,
            cache.keychain(),
            chain.okta.account_label(),
            identity,
            false,
        )
        .await
        .ok(),
        None => None,
    };
    match (e, pipeline) {
        (Error::Saml(msg), Some(Pipeline::Idx)) => Error::Saml(format!(
            "{msg} (this Okta org runs Identity Engine, where the AWS app link no longer accepts a classic session token: set okta_oidc_client_id to use the direct or device flow; see \"Classic or Identity Engine?\" in the README)"
        )),
        (Error::MfaNeedsBrowser(msg), Some(Pipeline::Idx)) => Error::MfaNeedsBrowser(format!(
            "{msg}. This Okta org runs Identity Engine: use the device flow, which signs in in the browser (Duo's prompt included): set okta_oidc_client_id and okta_auth_flow = device; see \"Classic or Identity Engine?\" in the README"
        )),
        (Error::MfaNeedsBrowser(msg), _) => Error::MfaNeedsBrowser(format!(
            "{msg}. If another Okta factor is enrolled, choose it with --mfa-provider/--mfa-factor-type"
        )),
        (e, _) => e,
    }
}

/// The assertion, and (after a new login) the remembering of its Okta session, left to run
/// beside the hub's STS call.
async fn saml_assertion<'a>(login: &Login<'a>) -> Result<(SamlAssertion, Option<Bookkeeping<'a>>)> {
    let Login {
        chain,
        cache,
        options,
        account,
    } = *login;
    let label = chain.okta.account_label();
    // The session and device token of the label are used only if issued for this identity.
    let identity = Identity::of(account);
    let refresh_window = options.settings.session_refresh_window;
    let app_path = &chain.okta.aws_saml_url;
    // Checked before any secret is sent: a link off the org fails here, not after the push.
    OktaOrigin::new(account.base_url.clone()).config_url("aws_saml_url", app_path)?;

    // The keychain is read before the client is built: the client waits for the TLS set-up
    // running on another thread (`tls::build_in_background`), and these reads (D-Bus round
    // trips with the Secret Service) overlap it instead of following it.
    let cached_session = if options.no_cache {
        None
    } else {
        cache.okta_session(label, &identity)?
    };
    // Needed only when there is no session to reuse, or it has ended (read then, below).
    let read_early = cached_session
        .is_none()
        .then(|| session::remembered_device_token(cache.keychain(), label, &identity));
    let client = OktaClient::new(account.base_url.clone(), &options.settings.okta_http)?;
    if let Some(cached) = cached_session {
        if let Some(assertion) = reuse_session(
            &client,
            cache,
            label,
            &identity,
            app_path,
            cached,
            refresh_window,
        )
        .await?
        {
            return Ok((assertion, None));
        }
        tracing::debug!("cached Okta session is no longer valid; logging in");
        cache.forget_okta_session(label)?;
    }

    let choice = FactorChoice {
        provider: options
            .factor
            .provider
            .clone()
            .or_else(|| chain.okta.mfa_provider.clone()),
        factor_type: options
            .factor
            .factor_type
            .clone()
            .or_else(|| chain.okta.mfa_factor_type.clone()),
        duo_device: options
            .factor
            .duo_device
            .clone()
            .or_else(|| chain.okta.mfa_duo_device.clone()),
        forget_device: options.factor.forget_device,
    };
    let sent = read_early
        .unwrap_or_else(|| session::remembered_device_token(cache.keychain(), label, &identity));
    session::send_device_token(&client, sent.as_ref());
    let login = authn::authenticate(&client, account, &choice).await?;
    session::save_device_token(&client, cache.keychain(), label, &identity, sent.as_ref())?;
    let page = app::open(&client, app_path, login.proof()).await?;
    let remember = page.sid.clone().map(|sid| -> Bookkeeping<'a> {
        Box::pin(async move {
            // Learnt once per session, so each reuse can be the app link alone.
            let expires_at = match session::validate(&client, &sid, refresh_window).await? {
                SessionState::Active { expires_at } => expires_at,
                _ => None,
            };
            cache
                .store_okta_session(label, &identity, &sid, expires_at)
                .await
        })
    });
    let assertion = extract_saml_response(&page.html)
        .ok_or_else(|| {
            Error::Saml(format!(
                "Okta answered the AWS app link ({app_path}) with a sign-in page instead of a SAML assertion right after login: the session was not accepted; check aws_saml_url and retry"
            ))
        })
        .and_then(SamlAssertion::parse);
    match assertion {
        Ok(assertion) => Ok((assertion, remember)),
        Err(e) => {
            // The session is remembered all the same: a retry need not log in again.
            super::flow::finish(remember).await?;
            Err(e)
        }
    }
}

/// The SAML assertion from the cached Okta session, or `None` when the session has ended.
/// Usually one request (the app link); a session known to end soon is extended first, and
/// one whose end is unknown (cached before it was recorded) has it learnt once afterwards.
async fn reuse_session(
    client: &OktaClient,
    cache: &Cache<'_>,
    label: &str,
    identity: &crate::okta::identity::Identity,
    app_path: &str,
    cached: crate::cache::CachedSession,
    refresh_window: std::time::Duration,
) -> Result<Option<SamlAssertion>> {
    let mut expires_at = cached.expires_at;
    let mut changed = false;
    if session::due_for_refresh(expires_at, refresh_window) {
        match session::refresh(client, &cached.sid).await? {
            SessionState::Active { expires_at: end } => {
                tracing::debug!("extended the Okta session before its end");
                (expires_at, changed) = (end, true);
            }
            SessionState::Gone => return Ok(None),
            SessionState::Unknown => {}
        }
    }
    let page = app::open(client, app_path, SessionProof::Cookie(&cached.sid)).await?;
    let Some(encoded) = extract_saml_response(&page.html) else {
        return Ok(None);
    };
    tracing::debug!("reused the cached Okta session");
    let assertion = SamlAssertion::parse(encoded)?;
    if expires_at.is_none() {
        if let SessionState::Active { expires_at: end } =
            session::validate(client, &cached.sid, refresh_window).await?
        {
            (expires_at, changed) = (end, true);
        }
    }
    if changed {
        cache
            .store_okta_session(label, identity, &cached.sid, expires_at)
            .await?;
    }
    Ok(Some(assertion))
}
