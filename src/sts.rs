//! AWS STS through the official SDK, loaded with `aws-config` so the standard overrides work
//! (`AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`, regional endpoints, other partitions).
use crate::credentials::Credentials;
use crate::saml::{SamlAssertion, SamlRole};
use crate::{Error, Result};
use aws_config::BehaviorVersion;
use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::config::Region;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use std::time::Duration;

/// STS's answer as our [`Credentials`]; `assumed_role_arn` is the role it assumed (or, when
/// STS did not say, the role asked for), `operation` names the call in an error.
fn credentials_from(
    creds: Option<&aws_sdk_sts::types::Credentials>,
    assumed_role_arn: String,
    operation: &'static str,
) -> Result<Credentials> {
    let c = creds.ok_or_else(|| Error::Sts {
        operation,
        role: assumed_role_arn.clone(),
        code: "NoCredentials".into(),
        message: "STS answered without credentials".into(),
    })?;
    let expiration =
        chrono::DateTime::from_timestamp(c.expiration().secs(), 0).unwrap_or_else(chrono::Utc::now);
    Ok(Credentials {
        access_key_id: c.access_key_id().to_string(),
        secret_access_key: c.secret_access_key().to_string(),
        session_token: c.session_token().to_string(),
        expiration,
        assumed_role_arn,
    })
}

pub struct Sts {
    base: aws_config::SdkConfig,
    /// The endpoint override, to name the host in a certificate error.
    endpoint: Option<String>,
}

/// Where STS calls go when the user overrides it: `AWS_ENDPOINT_URL_STS`, else
/// `AWS_ENDPOINT_URL` (unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`). Only the user's own
/// environment counts: the SAML assertion is a bearer token for every role it lists, so an
/// `endpoint_url` or `[services]` entry in a config file (which a team repository may have
/// written) must never decide where it goes. Plain http only to loopback (tests, emulators).
/// `var` looks up an environment variable (`Settings` passes the process's, tests a map).
pub fn endpoint_from(var: impl Fn(&str) -> Option<String>) -> Result<Option<String>> {
    let ignore = var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if ignore {
        return Ok(None);
    }
    let Some((name, value)) = ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"]
        .iter()
        .find_map(|name| {
            var(name)
                .filter(|v| !v.trim().is_empty())
                .map(|v| (*name, v.trim().to_string()))
        })
    else {
        return Ok(None);
    };
    let url = url::Url::parse(&value)
        .map_err(|e| Error::Config(format!("{name} '{value}' is not a URL: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" if crate::config::urls::is_loopback(&url) => {}
        _ => {
            return Err(Error::Config(format!(
                "{name} '{value}' must be an https URL (plain http only to a loopback address): the SAML assertion and credentials go there"
            )))
        }
    }
    Ok(Some(value))
}

impl Sts {
    /// `endpoint`: the user's override ([`endpoint_from`], resolved into `Settings`).
    pub async fn load(endpoint: Option<&str>) -> Result<Sts> {
        use aws_runtime::env_config::file::{
            EnvConfigFileKind as ProfileFileKind, EnvConfigFiles as ProfileFiles,
        };
        let endpoint = endpoint.map(str::to_string);
        // No profile file at all: their endpoint_url, [services], ca_bundle and region keys
        // are not the user's word on where aws-okta sends the assertion (see above).
        let no_files = ProfileFiles::builder()
            .with_contents(ProfileFileKind::Config, "")
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .profile_files(no_files)
            .no_credentials();
        if let Some(endpoint) = &endpoint {
            tracing::debug!(endpoint = %endpoint, "sts endpoint from the environment");
            loader = loader.endpoint_url(endpoint);
        }
        // The SDK's HTTPS client, always ours: rustls with *ring*, the crypto provider the Okta
        // client uses too (one provider in the binary; aws-lc's per-process CPU-jitter entropy
        // gathering cost ~65 ms before the first STS handshake, aws/aws-lc-rs#899), trusting
        // the certificates the Okta client trusts from the system store, plus AWS_CA_BUNDLE
        // (a config file's `ca_bundle` is deliberately not read: a team repository must not
        // choose our CAs), and going through the proxy of the environment
        // (`HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY`, as Okta's requests do), which
        // the SDK's client does not read by itself.
        // Checked here, so that a bad bundle fails before any request; the connector, built
        // at the first STS request, finds it read (and the system store too, read by then on
        // the thread that builds the Okta client's trust).
        crate::tls::check_bundles()?;
        loader = loader.http_client(
            aws_smithy_http_client::Builder::new().build_with_connector_fn(
                |settings, components| {
                    use aws_smithy_http_client::proxy::ProxyConfig;
                    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
                    let mut builder = aws_smithy_http_client::Connector::builder();
                    builder.set_connector_settings(settings.cloned());
                    if let Some(components) = components {
                        builder.set_sleep_impl(components.sleep_impl());
                    }
                    let builder = builder
                        .proxy_config(ProxyConfig::from_env())
                        .tls_provider(Provider::Rustls(CryptoMode::Ring));
                    match crate::tls::sts_tls_context() {
                        Ok(tls) => builder.tls_context(tls).build(),
                        // Not in practice: `Sts::load` read the same files with success, and they
                        // are kept for the process. Without them the SDK's own trust remains.
                        Err(e) => {
                            tracing::debug!(error = %e, "STS TLS trust");
                            builder.build()
                        }
                    }
                },
            ),
        );
        Ok(Sts {
            base: loader.load().await,
            endpoint,
        })
    }

    /// The STS host a call in `region` goes to: the override's, else the regional endpoint.
    fn host(&self, region: &str) -> String {
        if let Some(host) = self
            .endpoint
            .as_deref()
            .and_then(|e| url::Url::parse(e).ok())
            .and_then(|u| u.host_str().map(str::to_string))
        {
            return host;
        }
        let suffix = if region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        format!("sts.{region}.{suffix}")
    }

    fn client(&self, region: &str, credentials: Option<&Credentials>) -> aws_sdk_sts::Client {
        let mut config = aws_sdk_sts::config::Builder::from(&self.base)
            .region(Region::new(region.to_string()))
            .retry_classifier(CertificateErrorsAreFinal);
        if let Some(c) = credentials {
            config = config.credentials_provider(aws_credential_types::Credentials::new(
                &c.access_key_id,
                &c.secret_access_key,
                Some(c.session_token.clone()),
                None,
                "aws-okta",
            ));
        }
        aws_sdk_sts::Client::from_conf(config.build())
    }

    /// The hub hop: unsigned AssumeRoleWithSAML.
    pub async fn assume_role_with_saml(
        &self,
        region: &str,
        role: &SamlRole,
        assertion: &SamlAssertion,
        duration: Duration,
    ) -> Result<Credentials> {
        tracing::debug!(role = %role.role_arn, principal = %role.principal_arn, region, seconds = duration.as_secs(), "sts AssumeRoleWithSAML");
        let output = self
            .client(region, None)
            .assume_role_with_saml()
            .role_arn(&role.role_arn)
            .principal_arn(&role.principal_arn)
            .saml_assertion(assertion.encoded())
            .duration_seconds(seconds(duration))
            .send()
            .await
            .map_err(|e| sts_error("AssumeRoleWithSAML", &role.role_arn, &self.host(region), e))?;
        let arn = output.assumed_role_user().map(|u| u.arn().to_string());
        credentials_from(
            output.credentials(),
            arn.unwrap_or_else(|| role.role_arn.clone()),
            "AssumeRoleWithSAML",
        )
    }

    /// A spoke hop: AssumeRole signed with the previous hop's credentials.
    pub async fn assume_role(
        &self,
        region: &str,
        source: &Credentials,
        role_arn: &str,
        session_name: &str,
        external_id: Option<&str>,
        duration: Duration,
    ) -> Result<Credentials> {
        tracing::debug!(role = %role_arn, region, session_name, seconds = duration.as_secs(), "sts AssumeRole");
        let output = self
            .client(region, Some(source))
            .assume_role()
            .role_arn(role_arn)
            .role_session_name(session_name)
            .set_external_id(external_id.map(str::to_string))
            .duration_seconds(seconds(duration))
            .send()
            .await
            .map_err(|e| sts_error("AssumeRole", role_arn, &self.host(region), e))?;
        let arn = output.assumed_role_user().map(|u| u.arn().to_string());
        credentials_from(
            output.credentials(),
            arn.unwrap_or_else(|| role_arn.to_string()),
            "AssumeRole",
        )
    }
}

impl Sts {
    /// The hub hop for `okta_hub_trust = oidc`: unsigned AssumeRoleWithWebIdentity with an
    /// Okta id token (the hub role trusts an IAM OIDC provider for the authorization server).
    pub async fn assume_role_with_web_identity(
        &self,
        region: &str,
        role_arn: &str,
        session_name: &str,
        id_token: &str,
        duration: Duration,
    ) -> Result<Credentials> {
        tracing::debug!(role = %role_arn, region, seconds = duration.as_secs(), "sts AssumeRoleWithWebIdentity");
        let output = self
            .client(region, None)
            .assume_role_with_web_identity()
            .role_arn(role_arn)
            .role_session_name(session_name)
            .web_identity_token(id_token)
            .duration_seconds(seconds(duration))
            .send()
            .await
            .map_err(|e| sts_error("AssumeRoleWithWebIdentity", role_arn, &self.host(region), e))?;
        let arn = output.assumed_role_user().map(|u| u.arn().to_string());
        credentials_from(
            output.credentials(),
            arn.unwrap_or_else(|| role_arn.to_string()),
            "AssumeRoleWithWebIdentity",
        )
    }
}

/// Tells the SDK's retry strategy that a refused certificate is final: it retries every
/// dispatch failure otherwise (three attempts with backoff), and a certificate that is not
/// trusted now is not trusted a second later. A `RetryForbidden` ends the classification
/// whatever the other classifiers said, so the priority does not matter.
#[derive(Debug)]
struct CertificateErrorsAreFinal;

impl aws_sdk_sts::config::retry::ClassifyRetry for CertificateErrorsAreFinal {
    fn classify_retry(
        &self,
        ctx: &aws_sdk_sts::config::interceptors::InterceptorContext,
    ) -> aws_sdk_sts::config::retry::RetryAction {
        use aws_sdk_sts::config::retry::RetryAction;
        match ctx.output_or_error() {
            Some(Err(err))
                if err
                    .as_connector_error()
                    .is_some_and(|e| crate::tls::certificate_problem(e).is_some()) =>
            {
                RetryAction::RetryForbidden
            }
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "aws-okta: certificate errors are final"
    }
}

fn seconds(d: Duration) -> i32 {
    d.as_secs().clamp(900, 43_200) as i32
}

/// The default region of a role's partition, when no profile names one.
pub fn default_region(role_arn: Option<&str>) -> &'static str {
    match role_arn.and_then(|a| a.split(':').nth(1)) {
        Some("aws-us-gov") => "us-gov-west-1",
        Some("aws-cn") => "cn-north-1",
        _ => "us-east-1",
    }
}

/// AWS's rules for a role session name: 2–64 of `[\w+=,.@-]`.
pub fn session_name(raw: &str) -> String {
    let mut name: String = raw
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(*c))
        .take(64)
        .collect();
    while name.len() < 2 {
        name.push('-');
    }
    name
}

fn sts_error<E>(
    operation: &'static str,
    role: &str,
    host: &str,
    err: SdkError<E, HttpResponse>,
) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let role = role.to_string();
    // Reported as what it is, not as an unreachable network (and not retried, see
    // `CertificateErrorsAreFinal`).
    if let Some(problem) = crate::tls::certificate_problem(&err) {
        return problem.error("AWS STS", host);
    }
    match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            return Error::network(format!(
                "cannot reach AWS STS for {operation}: check your network, proxy or AWS_ENDPOINT_URL_STS ({})",
                aws_sdk_sts::error::DisplayErrorContext(&err)
            ))
        }
        _ => {}
    }
    let status = err.raw_response().map(|r| r.status().as_u16()).unwrap_or(0);
    if status >= 500 {
        return Error::network(format!(
            "AWS STS is unavailable (HTTP {status}) for {operation}: retry later ({})",
            err.message().unwrap_or("no message")
        ));
    }
    let code = err.code().unwrap_or("Unknown").to_string();
    let detail = err.message().unwrap_or("no message").to_string();
    let message = match code.as_str() {
        "AccessDenied" => format!(
            "access denied ({detail}): the role's trust policy does not let you in; check role_arn, or ask the account's owner to trust your hub role"
        ),
        "ExpiredTokenException" | "ExpiredToken" => format!(
            "the token or SAML assertion has expired ({detail}): run the command again (and check the system clock)"
        ),
        "InvalidIdentityToken" | "IDPRejectedClaim" => format!(
            "AWS rejected Okta's SAML assertion ({detail}): check that the SAML provider in IAM holds Okta's current metadata"
        ),
        "ValidationError" if detail.contains("Duration") || detail.contains("duration") => format!(
            "the requested session is too long for this role ({detail}): lower session_ttl / assume_role_ttl (role chaining allows at most 1h)"
        ),
        "Throttling" | "ThrottlingException" | "RequestLimitExceeded" => {
            return Error::RateLimited { service: "AWS STS" }
        }
        _ => format!("{code}: {detail}"),
    };
    Error::Sts {
        operation,
        role,
        code,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_follow_aws_rules() {
        assert_eq!(session_name("alice@example.com"), "alice@example.com");
        assert_eq!(session_name("a b/c"), "abc");
        assert_eq!(session_name(""), "--");
        assert_eq!(session_name(&"x".repeat(100)).len(), 64);
    }

    #[test]
    fn partitions_have_their_own_default_region() {
        assert_eq!(
            default_region(Some("arn:aws-us-gov:iam::1:role/a")),
            "us-gov-west-1"
        );
        assert_eq!(
            default_region(Some("arn:aws-cn:iam::1:role/a")),
            "cn-north-1"
        );
        assert_eq!(default_region(None), "us-east-1");
    }
}
