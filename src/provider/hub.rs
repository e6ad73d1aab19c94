//! The hub hop: choose the login flow, let it prove the user to AWS (a SAML assertion, or an
//! id token for `okta_hub_trust = oidc`), then AssumeRoleWithSAML (or WithWebIdentity) into the
//! hub role.
use super::flow::{finish, login_flow, HubProof, Login, Proved};
use super::{Credentials, LoginOptions};
use crate::cache::Cache;
use crate::config::Chain;
use crate::okta::identity::Identity;
use crate::okta::oie::{self, Flow, FlowSetting};
use crate::okta::OktaAccount;
use crate::saml::{SamlAssertion, SamlRole};
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
    let Proved { proof, bookkeeping } = proof(chain, cache, options, &account).await?;
    let assertion = match proof {
        HubProof::Saml(assertion) => assertion,
        HubProof::WebIdentity(token) => {
            finish(bookkeeping).await?;
            return web_identity(chain, sts, &account, &token).await;
        }
    };
    let assume = async {
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
    };
    // The new Okta session is remembered while STS answers (see `Proved`); both finish
    // before the login returns, and STS's error, if any, is the one reported.
    let (credentials, remembered) = tokio::join!(assume, finish(bookkeeping));
    let credentials = credentials?;
    remembered?;
    Ok(credentials)
}

/// What the hub hop proves itself with, through the login flow the chain chooses: a SAML
/// assertion, or an id token (`okta_hub_trust = oidc`). Also what `roles` and `--role` read
/// the offered roles from.
pub(super) async fn proof<'a>(
    chain: &'a Chain,
    cache: &'a Cache<'a>,
    options: &'a LoginOptions,
    account: &'a OktaAccount,
) -> Result<Proved<'a>> {
    let flow = choose_flow(chain, cache, options, account).await?;
    let login = Login {
        chain,
        cache,
        options,
        account,
    };
    let flow = login_flow(flow);
    tracing::debug!(flow = flow.name(), "signing in to Okta");
    flow.hub_proof(login).await
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
