//! The hub hop: a SAML assertion from Okta (reusing the cached Okta session when it is still
//! good, else a full login with MFA), then AssumeRoleWithSAML into the hub role.
use super::{Credentials, LoginOptions};
use crate::cache::Cache;
use crate::config::Chain;
use crate::okta::app::{self, SessionProof};
use crate::okta::factors::FactorChoice;
use crate::okta::identity::Identity;
use crate::okta::oie::detect::Pipeline;
use crate::okta::oie::token::HubProof;
use crate::okta::oie::{self, Flow, FlowSetting};
use crate::okta::session::{self, SessionState};
use crate::okta::{authn, OktaAccount, OktaClient};
use crate::saml::{extract_saml_response, SamlAssertion, SamlRole};
use crate::sts::{self, Sts};
use crate::{Error, Result};

/// The hub credentials through a login as `account` (the stored Okta account of the chain,
/// read by the caller: its identity decides the cache keys).
pub async fn credentials(
    chain: &Chain,
    cache: &Cache<'_>,
    sts: &Sts,
    options: &LoginOptions,
    account: OktaAccount,
) -> Result<Credentials> {
    let assertion = match proof(chain, cache, options, &account).await? {
        HubProof::Saml(assertion) => assertion,
        HubProof::WebIdentity(token) => return web_identity(chain, sts, &account, &token).await,
    };
    let role = choose_role(&assertion, chain.saml.role_arn.as_deref())?;
    let mut duration = chain.saml.session_ttl;
    if let Some(max) = assertion.session_duration {
        duration = duration.min(max);
    }
    let region = chain
        .saml
        .region
        .clone()
        .unwrap_or_else(|| sts::default_region(Some(&role.role_arn)).to_string());
    sts.assume_role_with_saml(&region, &role, &assertion, duration)
        .await
}

/// What the hub hop proves itself with, through the login the chain chooses: a SAML
/// assertion, or an id token (`okta_hub_trust = oidc`). Also what `roles` and `--role` read
/// the offered roles from.
pub(super) async fn proof(
    chain: &Chain,
    cache: &Cache<'_>,
    options: &LoginOptions,
    account: &OktaAccount,
) -> Result<HubProof> {
    let flow = choose_flow(chain, cache, options, account).await?;
    Ok(match flow {
        Flow::Classic => {
            let identity = Identity::of(account);
            match saml_assertion(chain, cache, options, account).await {
                Ok(assertion) => HubProof::Saml(assertion),
                Err(e) => {
                    let http = &options.settings.okta_http;
                    return Err(classic_on_idx_hint(e, chain, cache, &identity, http).await);
                }
            }
        }
        flow => {
            let factor_type = options
                .factor
                .factor_type
                .clone()
                .or_else(|| chain.okta.mfa_factor_type.clone());
            let request = oie::token::Request {
                okta: &chain.okta,
                account,
                keychain: cache.keychain(),
                flow,
                trust: chain.okta.hub_trust,
                factor_type: factor_type.as_deref(),
                no_browser: options.no_browser,
                http: &options.settings.okta_http,
            };
            oie::token::hub_proof(&request).await?
        }
    })
}

/// Which login this chain uses. The org's pipeline is read (once per account, then cached)
/// only when it decides: `auto` with an OIDC client configured.
async fn choose_flow(
    chain: &Chain,
    cache: &Cache<'_>,
    options: &LoginOptions,
    account: &OktaAccount,
) -> Result<Flow> {
    let setting = options
        .auth_flow
        .or(chain.okta.auth_flow)
        .unwrap_or(FlowSetting::Auto);
    let client_id = chain
        .okta
        .oidc_client_id
        .as_deref()
        .is_some_and(|c| !c.trim().is_empty());
    let pipeline = if setting == FlowSetting::Auto && client_id {
        let client = oie::OAuthClient::new(
            account.base_url.clone(),
            "",
            None,
            &options.settings.okta_http,
        )?;
        let label = chain.okta.account_label();
        let identity = Identity::of(account);
        match oie::detect::pipeline(
            &client,
            cache.keychain(),
            label,
            &identity,
            options.no_cache,
        )
        .await
        {
            Ok(p) => Some(p),
            Err(Error::OktaResponse(why)) => {
                tracing::debug!(why, "cannot detect the Okta pipeline; using classic");
                None
            }
            Err(e) => return Err(e),
        }
    } else {
        None
    };
    let password = !secrecy::ExposeSecret::expose_secret(&account.password).is_empty();
    let (flow, why) = oie::choose(setting, pipeline, client_id, password);
    tracing::debug!(flow = flow.name(), why, "okta login flow");
    Ok(flow)
}

/// A classic login whose app link gave no SAML page, or whose factor needs a browser: on an
/// Identity Engine org (read now, best effort), say what to configure instead.
async fn classic_on_idx_hint(
    e: Error,
    chain: &Chain,
    cache: &Cache<'_>,
    identity: &Identity,
    http: &crate::settings::OktaHttp,
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

/// `okta_hub_trust = oidc`: AssumeRoleWithWebIdentity into the hub role with the id token.
async fn web_identity(
    chain: &Chain,
    sts: &Sts,
    account: &OktaAccount,
    token: &secrecy::SecretString,
) -> Result<Credentials> {
    let role_arn = chain.saml.role_arn.as_deref().ok_or_else(|| {
        Error::Config(format!(
            "profile '{}' uses okta_hub_trust = oidc and needs role_arn (the hub role)",
            chain.saml.profile
        ))
    })?;
    let region = chain
        .saml
        .region
        .clone()
        .unwrap_or_else(|| sts::default_region(Some(role_arn)).to_string());
    sts.assume_role_with_web_identity(
        &region,
        role_arn,
        &sts::session_name(&account.username),
        secrecy::ExposeSecret::expose_secret(token),
        chain.saml.session_ttl,
    )
    .await
}

async fn saml_assertion(
    chain: &Chain,
    cache: &Cache<'_>,
    options: &LoginOptions,
    account: &OktaAccount,
) -> Result<SamlAssertion> {
    let label = chain.okta.account_label();
    // The session and device token of the label are used only if issued for this identity.
    let identity = Identity::of(account);
    let client = OktaClient::new(account.base_url.clone(), &options.settings.okta_http)?;
    let refresh_window = options.settings.session_refresh_window;
    let app_path = &chain.okta.aws_saml_url;
    // Checked before any secret is sent: a link off the org fails here, not after the push.
    client.origin().config_url("aws_saml_url", app_path)?;

    let cached_session = if options.no_cache {
        None
    } else {
        cache.okta_session(label, &identity)?
    };
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
            return Ok(assertion);
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
    crate::okta::session::restore_device_token(&client, cache.keychain(), label, &identity);
    let login = authn::authenticate(&client, account, &choice).await?;
    crate::okta::session::save_device_token(&client, cache.keychain(), label, &identity)?;
    let page = app::open(&client, app_path, login.proof()).await?;
    if let Some(sid) = &page.sid {
        // Learnt once per session, so each reuse can be the app link alone.
        let expires_at = match session::validate(&client, sid, refresh_window).await? {
            SessionState::Active { expires_at } => expires_at,
            _ => None,
        };
        cache.store_okta_session(label, &identity, sid, expires_at)?;
    }
    let encoded = extract_saml_response(&page.html).ok_or_else(|| {
        Error::Saml(format!(
            "Okta answered the AWS app link ({app_path}) with a sign-in page instead of a SAML assertion right after login: the session was not accepted; check aws_saml_url and retry"
        ))
    })?;
    SamlAssertion::parse(encoded)
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
        cache.store_okta_session(label, identity, &cached.sid, expires_at)?;
    }
    Ok(Some(assertion))
}

fn choose_role(assertion: &SamlAssertion, wanted: Option<&str>) -> Result<SamlRole> {
    if let Some(arn) = wanted {
        return assertion.role(arn).cloned();
    }
    match assertion.roles.as_slice() {
        [] => Err(Error::Saml(
            "Okta's SAML assertion offers no AWS role: ask your Okta admin to assign one".into(),
        )),
        [one] => Ok(one.clone()),
        several => {
            // First: after `exec --server` handed the terminal over this is `NeedsInput`.
            crate::terminal::may_ask("a choice of AWS role, or role_arn in the profile")?;
            if !crate::terminal::interactive() {
                return Err(Error::Saml(format!(
                    "Okta offers several roles and the profile has no role_arn: set role_arn to one of {}",
                    several.iter().map(|r| r.role_arn.as_str()).collect::<Vec<_>>().join(", ")
                )));
            }
            let arns: Vec<String> = several.iter().map(|r| r.role_arn.clone()).collect();
            let index =
                crate::terminal::select("Choose the AWS role", &arns).map_err(Error::Saml)?;
            Ok(several[index].clone())
        }
    }
}
