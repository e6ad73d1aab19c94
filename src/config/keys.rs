//! Every `~/.aws/config` key aws-okta reads, in one place. `KNOWN` is what `config validate`
//! calls an aws-okta key; the resolver (`chain.rs`) reads these constants and nothing else.
//!
//! Two spellings of the chain:
//!
//! * **SDK-native** (what `config generate` writes, and the recommended hand-written form):
//!   `okta_role_arn` and `okta_source_profile` describe the hop to aws-okta alone, and
//!   `credential_process = aws-okta cred-process <profile>` gives AWS SDKs and the AWS CLI the
//!   credentials. No SDK acts on an `okta_*` key, so `AWS_PROFILE=prod aws s3 ls` works and the
//!   whole hub → spoke chain comes from aws-okta's cache.
//! * **segmentio-style**: `role_arn` and `source_profile`, read by aws-okta (and misread by
//!   SDKs: a SAML root's `role_arn` has no source for them). Still read for every aws-okta
//!   command; `config validate` warns and `config migrate` rewrites it.

/// Path of the Okta AWS app's embed link (`home/amazon_aws/<app id>/<n>`).
pub const AWS_SAML_URL: &str = "aws_saml_url";
pub const OKTA_ACCOUNT_NAME: &str = "okta_account_name";
/// The name of the AWS account of the profile's role (`config generate` writes it): what
/// `roles` shows and `--role PATTERN` matches. Not the Okta account ([`OKTA_ACCOUNT_NAME`]).
pub const OKTA_AWS_ACCOUNT_NAME: &str = "okta_aws_account_name";
/// The hop's role, SDK-native spelling (wins over [`ROLE_ARN`]).
pub const OKTA_ROLE_ARN: &str = "okta_role_arn";
/// The upstream profile, SDK-native spelling (wins over [`SOURCE_PROFILE`]).
pub const OKTA_SOURCE_PROFILE: &str = "okta_source_profile";
/// The hop's role, segmentio spelling (also what AWS SDKs assume themselves).
pub const ROLE_ARN: &str = "role_arn";
/// The upstream profile, segmentio spelling.
pub const SOURCE_PROFILE: &str = "source_profile";
pub const REGION: &str = "region";
pub const ROLE_SESSION_NAME: &str = "role_session_name";
pub const EXTERNAL_ID: &str = "external_id";
pub const MFA_PROVIDER: &str = "mfa_provider";
pub const MFA_FACTOR_TYPE: &str = "mfa_factor_type";
pub const MFA_DUO_DEVICE: &str = "mfa_duo_device";
pub const SESSION_TTL: &str = "session_ttl";
pub const ASSUME_ROLE_TTL: &str = "assume_role_ttl";
pub const OKTA_AUTH_FLOW: &str = "okta_auth_flow";
pub const OKTA_OIDC_CLIENT_ID: &str = "okta_oidc_client_id";
pub const OKTA_AWS_APP_ID: &str = "okta_aws_app_id";
pub const OKTA_AUTHORIZATION_SERVER: &str = "okta_authorization_server";
pub const OKTA_HUB_TRUST: &str = "okta_hub_trust";
/// `login`'s defaults per profile (or for all, in `[okta]`): the browser (chrome, chromium,
/// brave, edge, firefox), its profile, a Firefox container, and a console service shortcut.
pub const OKTA_CONSOLE_BROWSER: &str = "okta_console_browser";
pub const OKTA_CONSOLE_BROWSER_PROFILE: &str = "okta_console_browser_profile";
pub const OKTA_CONSOLE_CONTAINER: &str = "okta_console_container";
pub const OKTA_CONSOLE_SERVICE: &str = "okta_console_service";
/// The console settings: they say how to show a profile, not where its credentials come from.
pub const CONSOLE: &[&str] = &[
    OKTA_CONSOLE_BROWSER,
    OKTA_CONSOLE_BROWSER_PROFILE,
    OKTA_CONSOLE_CONTAINER,
    OKTA_CONSOLE_SERVICE,
];
/// How AWS SDKs get credentials from a program; `aws-okta cred-process <profile>` is ours.
pub const CREDENTIAL_PROCESS: &str = "credential_process";

/// Keys aws-okta reads; anything else in a profile is left to the AWS SDKs.
pub const KNOWN: &[&str] = &[
    AWS_SAML_URL,
    OKTA_ACCOUNT_NAME,
    OKTA_AWS_ACCOUNT_NAME,
    OKTA_ROLE_ARN,
    OKTA_SOURCE_PROFILE,
    ROLE_ARN,
    SOURCE_PROFILE,
    REGION,
    ROLE_SESSION_NAME,
    EXTERNAL_ID,
    MFA_PROVIDER,
    MFA_FACTOR_TYPE,
    MFA_DUO_DEVICE,
    SESSION_TTL,
    ASSUME_ROLE_TTL,
    OKTA_AUTH_FLOW,
    OKTA_OIDC_CLIENT_ID,
    OKTA_AWS_APP_ID,
    OKTA_AUTHORIZATION_SERVER,
    OKTA_HUB_TRUST,
    OKTA_CONSOLE_BROWSER,
    OKTA_CONSOLE_BROWSER_PROFILE,
    OKTA_CONSOLE_CONTAINER,
    OKTA_CONSOLE_SERVICE,
];

/// Keys that make an AWS SDK get the profile's credentials some other way: a profile with one
/// of them is not aws-okta's (unless it is our own `credential_process`).
pub const FOREIGN: &[&str] = &[
    "sso_session",
    "sso_start_url",
    "sso_account_id",
    CREDENTIAL_PROCESS,
    "credential_source",
    "aws_access_key_id",
    "web_identity_token_file",
];

/// Whether `value` is `aws-okta cred-process <profile>` (the program may be a path to an
/// `aws-okta` binary), i.e. the SDK-native hand-off of this profile to aws-okta.
pub fn is_own_credential_process(value: &str, profile: &str) -> bool {
    let words: Vec<&str> = value.split_whitespace().collect();
    let program = words.first().map(|p| {
        p.rsplit(['/', '\\'])
            .next()
            .unwrap_or(p)
            .trim_end_matches(".exe")
    });
    matches!(words.as_slice(), [_, "cred-process", name] if *name == profile)
        && program == Some("aws-okta")
}

/// The `credential_process` line value aws-okta writes for `profile`.
pub fn credential_process_for(profile: &str) -> String {
    format!("aws-okta cred-process {profile}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_its_own_credential_process_only() {
        assert!(is_own_credential_process(
            "aws-okta cred-process prod",
            "prod"
        ));
        assert!(is_own_credential_process(
            "/usr/local/bin/aws-okta  cred-process prod",
            "prod"
        ));
        assert!(!is_own_credential_process(
            "aws-okta cred-process prod",
            "dev"
        ));
        assert!(!is_own_credential_process(
            "aws-vault exec prod --json",
            "prod"
        ));
        assert!(!is_own_credential_process(
            "aws-okta cred-process prod --pretty; curl x",
            "prod"
        ));
    }
}
