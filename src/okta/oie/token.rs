//! From OAuth tokens to what the hub hop consumes: refresh without a user step, exchange the
//! id token and device secret for a Web SSO token for the AWS app, and redeem that at
//! `/login/token/sso` for the same `SAMLResponse` page the classic flow reads; or, for
//! `okta_hub_trust = oidc`, the id token itself for AssumeRoleWithWebIdentity.
use super::{
    device, direct, setup_error, HubTrust, OAuthClient, OAuthError, OAuthFlow, StoredTokens,
    TokenResponse, GRANT_REFRESH, GRANT_TOKEN_EXCHANGE,
};
use crate::config::OktaSettings;
use crate::keychain::Keychain;
use crate::okta::identity::Identity;
use crate::okta::OktaAccount;
use crate::saml::{extract_saml_response, SamlAssertion};
use crate::{Error, Result};
use secrecy::{ExposeSecret, SecretString};

const SCOPE_SAML: &str = "openid profile offline_access okta.apps.sso device_sso";
const SCOPE_OIDC: &str = "openid profile offline_access";

/// What the hub hop gets from an Identity Engine login.
pub enum HubProof {
    Saml(SamlAssertion),
    /// An id token for AssumeRoleWithWebIdentity.
    WebIdentity(SecretString),
}

pub struct Request<'a> {
    pub okta: &'a OktaSettings,
    pub account: &'a OktaAccount,
    pub keychain: &'a dyn Keychain,
    pub flow: OAuthFlow,
    pub trust: HubTrust,
    pub factor_type: Option<&'a str>,
    /// `--no-browser`, or no browser can be opened here (`Settings::browser`).
    pub no_browser: bool,
    pub http: &'a crate::okta::http::OktaHttp,
}

pub async fn hub_proof(req: &Request<'_>) -> Result<HubProof> {
    let label = req.okta.account_label();
    let client_id = req
        .okta
        .oidc_client_id
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| {
            setup_error(format!(
                "okta_auth_flow {} needs okta_oidc_client_id: ask your Okta admin for the client id of the aws-okta OIDC native app and set it in [okta]",
                req.flow.name()
            ))
        })?;
    // Device SSO and the Web SSO token exist on the org authorization server only.
    let server = match req.trust {
        HubTrust::Saml => None,
        HubTrust::Oidc => req.okta.authorization_server.as_deref(),
    };
    let client = OAuthClient::new(
        req.account.base_url.clone(),
        client_id.trim(),
        server,
        req.http,
    )?;
    let scope = match req.trust {
        HubTrust::Saml => SCOPE_SAML,
        HubTrust::Oidc => SCOPE_OIDC,
    };
    let app_id = match req.trust {
        HubTrust::Saml => Some(
            super::aws_app_id(req.okta.aws_app_id.as_deref(), &req.okta.aws_saml_url).ok_or_else(
                || {
                    Error::Config(format!(
                        "cannot derive the AWS app id from aws_saml_url '{}': set okta_aws_app_id",
                        req.okta.aws_saml_url
                    ))
                },
            )?,
        ),
        HubTrust::Oidc => None,
    };

    let server_name = server.map(str::to_string);
    let identity = Identity::of(req.account);
    if let Some(stored) = StoredTokens::load(req.keychain, label, &identity)?
        .filter(|s| s.client_id == client.client_id && s.server == server_name)
    {
        match refresh_and_finish(&client, req, &stored, app_id.as_deref()).await {
            Ok(proof) => {
                tracing::debug!("reused the cached Okta refresh token (no user step)");
                return Ok(proof);
            }
            Err(Retry::Login(why)) => {
                tracing::debug!(why, "cached Okta tokens no longer work; logging in");
                req.keychain.delete(&super::tokens_item(label))?;
            }
            Err(Retry::Fail(e)) => return Err(e),
        }
    }

    let tokens = match req.flow {
        OAuthFlow::Direct => direct::login(&client, req.account, scope, req.factor_type).await?,
        OAuthFlow::Device => device::login(&client, scope, req.no_browser).await?,
    };
    let stored = remember(req, &client, &tokens, None)?;
    finish(&client, tokens, stored, app_id.as_deref())
        .await
        .map_err(|r| match r {
            Retry::Login(why) => Error::OktaResponse(format!("Okta refused fresh tokens: {why}")),
            Retry::Fail(e) => e,
        })
}

enum Retry {
    /// The cached tokens are stale: forget them and log in.
    Login(String),
    Fail(Error),
}

impl From<Error> for Retry {
    fn from(e: Error) -> Retry {
        Retry::Fail(e)
    }
}

async fn refresh_and_finish(
    client: &OAuthClient,
    req: &Request<'_>,
    stored: &StoredTokens,
    app_id: Option<&str>,
) -> std::result::Result<HubProof, Retry> {
    let scope = match req.trust {
        HubTrust::Saml => SCOPE_SAML,
        HubTrust::Oidc => SCOPE_OIDC,
    };
    let answer = client
        .post::<TokenResponse>(
            client.endpoint("token")?,
            &[
                ("grant_type", GRANT_REFRESH),
                ("refresh_token", stored.refresh_token.expose_secret()),
                ("scope", scope),
            ],
        )
        .await?;
    let tokens = match answer {
        Ok(t) => t,
        Err(e) if e.error == "invalid_grant" => return Err(Retry::Login(e.error)),
        Err(e) => return Err(Retry::Fail(e.into_error(&client.client_id, GRANT_REFRESH))),
    };
    let merged = remember(req, client, &tokens, Some(stored))?;
    finish(client, tokens, merged, app_id).await
}

/// Stores the refresh token and device secret (keeping the previous ones when Okta did not
/// rotate them); returns the device secret to use.
fn remember(
    req: &Request<'_>,
    client: &OAuthClient,
    tokens: &TokenResponse,
    previous: Option<&StoredTokens>,
) -> Result<Option<SecretString>> {
    let device_secret = tokens
        .device_secret
        .clone()
        .or_else(|| previous.and_then(|p| p.device_secret.clone()));
    let refresh = tokens
        .refresh_token
        .clone()
        .or_else(|| previous.map(|p| p.refresh_token.clone()));
    match refresh {
        Some(refresh_token) => StoredTokens {
            client_id: client.client_id.clone(),
            server: match req.trust {
                HubTrust::Saml => None,
                HubTrust::Oidc => req.okta.authorization_server.clone(),
            },
            refresh_token,
            device_secret: device_secret.clone(),
            identity: Some(Identity::of(req.account)),
        }
        .store(req.keychain, req.okta.account_label())?,
        None => tracing::debug!(
            "Okta returned no refresh token (offline_access not allowed): the next login asks again"
        ),
    }
    Ok(device_secret)
}

async fn finish(
    client: &OAuthClient,
    tokens: TokenResponse,
    device_secret: Option<SecretString>,
    app_id: Option<&str>,
) -> std::result::Result<HubProof, Retry> {
    let id_token = tokens.id_token.ok_or_else(|| {
        Error::OktaResponse("Okta returned no id token (was the openid scope dropped?)".into())
    })?;
    let Some(app_id) = app_id else {
        return Ok(HubProof::WebIdentity(id_token));
    };
    let device_secret = device_secret.ok_or_else(|| {
        setup_error(format!(
            "Okta returned no device_secret for OIDC client '{}': ask your Okta admin to allow Device SSO (the device_sso scope and the Token Exchange grant) for the app, or use okta_hub_trust = oidc",
            client.client_id
        ))
    })?;
    let audience = format!("urn:okta:apps:{app_id}");
    let answer = client
        .post::<TokenResponse>(
            client.org_endpoint("token")?,
            &[
                ("grant_type", GRANT_TOKEN_EXCHANGE),
                ("subject_token", id_token.expose_secret()),
                (
                    "subject_token_type",
                    "urn:ietf:params:oauth:token-type:id_token",
                ),
                ("actor_token", device_secret.expose_secret()),
                (
                    "actor_token_type",
                    "urn:x-oath:params:oauth:token-type:device-secret",
                ),
                (
                    "requested_token_type",
                    "urn:okta:oauth:token-type:web_sso_token",
                ),
                ("audience", &audience),
            ],
        )
        .await?;
    let web_sso = match answer {
        Ok(t) => t.access_token.ok_or_else(|| {
            Error::OktaResponse("Okta's token exchange returned no web SSO token".into())
        })?,
        Err(e) if e.error == "invalid_grant" => return Err(Retry::Login(e.error)),
        Err(e) => return Err(Retry::Fail(exchange_error(e, &client.client_id, app_id))),
    };
    let mut url = client.url("login/token/sso")?;
    url.query_pairs_mut()
        .append_pair("token", web_sso.expose_secret());
    let (status, html) = client.get_text(url).await?;
    if !status.is_success() {
        return Err(Retry::Fail(Error::Saml(format!(
            "Okta answered HTTP {status} for /login/token/sso: the web SSO token was not accepted; retry"
        ))));
    }
    let encoded = extract_saml_response(&html).ok_or_else(|| {
        Error::Saml(
            "Okta's /login/token/sso page carries no SAMLResponse: check that okta_aws_app_id (or aws_saml_url) names the AWS app".into(),
        )
    })?;
    Ok(HubProof::Saml(SamlAssertion::parse(encoded)?))
}

fn exchange_error(e: OAuthError, client_id: &str, app_id: &str) -> Error {
    match e.error.as_str() {
        "invalid_target" | "invalid_request" if e.error_description.contains("udience") || e.error == "invalid_target" => setup_error(format!(
            "the AWS app {app_id} does not accept web SSO tokens for OIDC client '{client_id}' ({}): ask your Okta admin to add the client to the AWS app's allowed Web SSO clients",
            e.error_description
        )),
        "access_denied" => Error::AccessDenied(
            format!(
                "Okta says the user is not assigned to the AWS app {app_id} ({}): ask your Okta admin to assign you to it",
                e.error_description
            )
        ),
        _ => e.into_error(client_id, GRANT_TOKEN_EXCHANGE),
    }
}
