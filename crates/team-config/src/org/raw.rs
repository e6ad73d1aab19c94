//! `org.toml` as written: its serde model, every value with its span for diagnostics.

use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OrgToml {
    pub(super) okta: OktaToml,
    #[serde(default)]
    pub(super) aws: AwsToml,
    pub(super) hub: HubToml,
    #[serde(default)]
    pub(super) spoke: Vec<SpokeToml>,
    #[serde(default)]
    pub(super) team: Vec<TeamToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OktaToml {
    pub(super) domain: Spanned<String>,
    pub(super) aws_saml_url: Spanned<String>,
    pub(super) okta_account_name: Option<Spanned<String>>,
    pub(super) mfa_provider: Option<Spanned<String>>,
    pub(super) mfa_factor_type: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct AwsToml {
    pub(super) partition: Option<Spanned<String>>,
    pub(super) saml_provider_name: Option<Spanned<String>>,
    pub(super) role_path: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) require_source_identity: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HubToml {
    pub(super) name: Option<Spanned<String>>,
    pub(super) account_id: Spanned<String>,
    pub(super) region: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SpokeToml {
    pub(super) name: Spanned<String>,
    pub(super) account_id: Spanned<String>,
    pub(super) region: Spanned<String>,
    pub(super) description: Option<String>,
    #[serde(default)]
    pub(super) role: Vec<SpokeRoleToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SpokeRoleToml {
    pub(super) name: Spanned<String>,
    #[serde(default)]
    pub(super) policies: Vec<Spanned<String>>,
    pub(super) permissions_boundary: Option<Spanned<String>>,
    pub(super) max_session_duration: Option<Spanned<i64>>,
    pub(super) description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TeamToml {
    pub(super) name: Spanned<String>,
    pub(super) description: Option<String>,
    pub(super) hub_role: Option<HubRoleToml>,
    #[serde(default)]
    pub(super) spoke_roles: Vec<GrantToml>,
    pub(super) session_ttl: Option<Spanned<String>>,
    pub(super) assume_role_ttl: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HubRoleToml {
    pub(super) name: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) policies: Vec<Spanned<String>>,
    pub(super) permissions_boundary: Option<Spanned<String>>,
    pub(super) max_session_duration: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GrantToml {
    pub(super) account: Spanned<String>,
    pub(super) role: Spanned<String>,
    pub(super) profile: Option<Spanned<String>>,
    pub(super) region: Option<Spanned<String>>,
}
