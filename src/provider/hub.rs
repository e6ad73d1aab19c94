//! The hub hop: a SAML assertion from Okta (reusing the cached Okta session when it is still
//! good, else a full login with MFA), then AssumeRoleWithSAML into the hub role.
use super::{Credentials, LoginOptions};
use crate::cache::Cache;
use crate::config::Chain;
use crate::okta::app::{self, SessionProof};
use crate::okta::factors::FactorChoice;
use crate::okta::{authn, OktaAccount, OktaClient};
use crate::saml::{extract_saml_response, SamlAssertion, SamlRole};
use crate::sts::{self, Sts};
use crate::{Error, Result};

pub async fn credentials(
    chain: &Chain,
    cache: &Cache<'_>,
    sts: &Sts,
    options: &LoginOptions,
) -> Result<Credentials> {
    let assertion = saml_assertion(chain, cache, options).await?;
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

async fn saml_assertion(
    chain: &Chain,
    cache: &Cache<'_>,
    options: &LoginOptions,
) -> Result<SamlAssertion> {
    let keychain_account = chain.okta.account_name.as_deref();
    let label = chain.okta.account_label();
    let account = OktaAccount::load(cache.keychain(), keychain_account)?;
    let client = OktaClient::new(account.base_url.clone())?;
    let app_path = &chain.okta.aws_saml_url;

    if let Some(sid) = cache.okta_session(label)? {
        let page = app::open(&client, app_path, SessionProof::Cookie(&sid)).await?;
        if let Some(encoded) = extract_saml_response(&page.html) {
            tracing::debug!("reused the cached Okta session");
            return SamlAssertion::parse(encoded);
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
    };
    let token = authn::authenticate(&client, &account, &choice).await?;
    let page = app::open(&client, app_path, SessionProof::Token(&token)).await?;
    if let Some(sid) = &page.sid {
        cache.store_okta_session(label, sid)?;
    }
    let encoded = extract_saml_response(&page.html).ok_or_else(|| {
        Error::Saml(format!(
            "Okta answered the AWS app link ({app_path}) with a sign-in page instead of a SAML assertion right after login: the session was not accepted; check aws_saml_url and retry"
        ))
    })?;
    SamlAssertion::parse(encoded)
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
        several if crate::terminal::interactive() => {
            let arns: Vec<String> = several.iter().map(|r| r.role_arn.clone()).collect();
            let index =
                crate::terminal::select("Choose the AWS role", &arns).map_err(Error::Saml)?;
            Ok(several[index].clone())
        }
        several => {
            Err(Error::Saml(format!(
            "Okta offers several roles and the profile has no role_arn: set role_arn to one of {}",
            several.iter().map(|r| r.role_arn.as_str()).collect::<Vec<_>>().join(", ")
        )))
        }
    }
}
