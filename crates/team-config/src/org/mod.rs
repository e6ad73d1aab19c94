//! `org.toml`: its serde model (with spans) and its validation into an [`Org`].
//!
//! [`parse`] reads the file ([`raw`]) and [`resolve`] validates it section by section, every
//! problem collected with its line ([`diags`]): the org-wide settings ([`settings`]: `[aws]`,
//! `[okta]`), the accounts ([`accounts`]: hub, spokes and their roles), then the teams
//! ([`teams`]: hub roles, TTLs, grants and their profiles, roles no team may assume).

mod accounts;
mod diags;
mod raw;
mod settings;
mod teams;

use std::path::Path;

use toml::Spanned;

use crate::error::Error;
use diags::Diags;
use raw::OrgToml;

// ---------------------------------------------------------------------------------------------
// The validated org.

pub(crate) const DEFAULT_HUB_SESSION: u64 = 3600;
pub(crate) const DEFAULT_SPOKE_SESSION: u64 = 3600;

#[derive(Debug)]
pub(crate) struct Org {
    /// File name of the source, for the "generated from" header.
    pub source_name: String,
    pub okta: Okta,
    pub partition: String,
    pub saml_provider_name: String,
    pub role_path: String,
    pub require_source_identity: bool,
    pub hub: Account,
    pub spokes: Vec<Spoke>,
    pub teams: Vec<Team>,
}

#[derive(Debug)]
pub(crate) struct Okta {
    pub domain: String,
    pub aws_saml_url: String,
    pub okta_account_name: Option<String>,
    pub mfa_provider: Option<String>,
    pub mfa_factor_type: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Account {
    pub name: String,
    pub account_id: String,
    pub region: String,
}

#[derive(Debug)]
pub(crate) struct Spoke {
    pub account: Account,
    pub description: Option<String>,
    pub roles: Vec<SpokeRole>,
}

#[derive(Debug)]
pub(crate) struct SpokeRole {
    pub name: String,
    pub description: Option<String>,
    pub policies: Vec<String>,
    pub permissions_boundary: Option<String>,
    pub max_session_duration: u64,
}

#[derive(Debug)]
pub(crate) struct Team {
    pub name: String,
    pub description: Option<String>,
    pub hub_role: HubRole,
    pub grants: Vec<Grant>,
    pub session_ttl: Option<String>,
    pub assume_role_ttl: Option<String>,
}

#[derive(Debug)]
pub(crate) struct HubRole {
    pub name: String,
    pub profile: String,
    pub policies: Vec<String>,
    pub permissions_boundary: Option<String>,
    pub max_session_duration: u64,
}

#[derive(Debug)]
pub(crate) struct Grant {
    pub spoke: usize,
    pub role: String,
    pub profile: String,
    pub region: String,
}

impl Org {
    pub fn role_arn(&self, account_id: &str, role: &str) -> String {
        format!(
            "arn:{}:iam::{}:role{}{}",
            self.partition, account_id, self.role_path, role
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing and validation.

/// Parses and validates `src` (the contents of `path`), reporting every problem found.
pub(crate) fn parse(path: &Path, src: &str) -> Result<Org, Error> {
    let mut d = Diags::new(path, src);
    let raw: OrgToml = match toml::from_str(src) {
        Ok(raw) => raw,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            d.at(span, e.message().trim().to_string());
            return Err(d.into_error().unwrap_or(Error::Invalid(Vec::new())));
        }
    };
    let org = resolve(&mut d, path, raw);
    match d.into_error() {
        Some(e) => Err(e),
        None => Ok(org),
    }
}

fn text(v: &Option<Spanned<String>>) -> Option<String> {
    v.as_ref().map(|s| s.get_ref().clone())
}

/// The org, section by section; problems go to `d` (the org is complete only without them).
fn resolve(d: &mut Diags<'_>, path: &Path, raw: OrgToml) -> Org {
    let aws = settings::aws(d, &raw.aws);
    let okta = settings::okta(d, &raw.okta);
    let mut accounts = accounts::Accounts::default();
    let hub = accounts.hub(d, &raw.hub, &aws.checked_partition);
    let spokes = accounts.spokes(d, &raw.spoke, &aws.checked_partition);
    let teams = teams::teams(d, &raw.team, &hub, &spokes, &aws.checked_partition);
    teams::check_unused_roles(d, &raw.spoke, &teams);
    Org {
        source_name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "org.toml".into()),
        okta,
        partition: aws.partition,
        saml_provider_name: aws.saml_provider_name,
        role_path: aws.role_path,
        require_source_identity: raw.aws.require_source_identity,
        hub,
        spokes,
        teams: teams.teams,
    }
}
