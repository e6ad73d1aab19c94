//! `org.toml`: its serde model (with spans) and its validation into an [`Org`].

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::check;
use crate::error::{Diagnostic, Error};

// ---------------------------------------------------------------------------------------------
// The file as written.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrgToml {
    okta: OktaToml,
    #[serde(default)]
    aws: AwsToml,
    hub: HubToml,
    #[serde(default)]
    spoke: Vec<SpokeToml>,
    #[serde(default)]
    team: Vec<TeamToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OktaToml {
    domain: Spanned<String>,
    aws_saml_url: Spanned<String>,
    okta_account_name: Option<Spanned<String>>,
    mfa_provider: Option<Spanned<String>>,
    mfa_factor_type: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AwsToml {
    partition: Option<Spanned<String>>,
    saml_provider_name: Option<Spanned<String>>,
    role_path: Option<Spanned<String>>,
    #[serde(default)]
    require_source_identity: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HubToml {
    name: Option<Spanned<String>>,
    account_id: Spanned<String>,
    region: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpokeToml {
    name: Spanned<String>,
    account_id: Spanned<String>,
    region: Spanned<String>,
    description: Option<String>,
    #[serde(default)]
    role: Vec<SpokeRoleToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpokeRoleToml {
    name: Spanned<String>,
    #[serde(default)]
    policies: Vec<Spanned<String>>,
    permissions_boundary: Option<Spanned<String>>,
    max_session_duration: Option<Spanned<i64>>,
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamToml {
    name: Spanned<String>,
    description: Option<String>,
    hub_role: Option<HubRoleToml>,
    #[serde(default)]
    spoke_roles: Vec<GrantToml>,
    session_ttl: Option<Spanned<String>>,
    assume_role_ttl: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HubRoleToml {
    name: Option<Spanned<String>>,
    #[serde(default)]
    policies: Vec<Spanned<String>>,
    permissions_boundary: Option<Spanned<String>>,
    max_session_duration: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantToml {
    account: Spanned<String>,
    role: Spanned<String>,
    profile: Option<Spanned<String>>,
    region: Option<Spanned<String>>,
}

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
// Diagnostics.

struct Diags<'a> {
    path: &'a Path,
    /// Byte offset of every `\n` in the source, in order: a line number is a binary search,
    /// not a scan from the start (an org with hundreds of accounts asks for tens of thousands).
    newlines: Vec<usize>,
    list: Vec<(usize, usize, String)>,
}

impl<'a> Diags<'a> {
    fn new(path: &'a Path, src: &str) -> Self {
        Diags {
            path,
            newlines: src
                .bytes()
                .enumerate()
                .filter_map(|(i, b)| (b == b'\n').then_some(i))
                .collect(),
            list: Vec::new(),
        }
    }

    /// 1-based line of byte `offset`: one more than the newlines before it.
    fn line(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&nl| nl < offset) + 1
    }

    fn at(&mut self, span: Range<usize>, message: impl Into<String>) {
        let line = self.line(span.start);
        let seq = self.list.len();
        self.list.push((line, seq, message.into()));
    }

    fn check<T: AsRef<str>>(&mut self, v: &Spanned<T>, f: impl FnOnce(&str) -> Result<(), String>) {
        if let Err(e) = f(v.get_ref().as_ref()) {
            self.at(v.span(), e);
        }
    }

    fn into_error(mut self) -> Option<Error> {
        if self.list.is_empty() {
            return None;
        }
        self.list.sort();
        Some(Error::Invalid(
            self.list
                .into_iter()
                .map(|(line, _, message)| Diagnostic {
                    path: self.path.to_path_buf(),
                    line,
                    message,
                })
                .collect(),
        ))
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

fn resolve(d: &mut Diags<'_>, path: &Path, raw: OrgToml) -> Org {
    // [aws]
    let partition = raw
        .aws
        .partition
        .as_ref()
        .map(|p| p.get_ref().clone())
        .unwrap_or_else(|| "aws".to_string());
    // Partition-dependent checks use `checked_partition`, empty when the partition is invalid
    // (so one typo is one error, not one per ARN and region).
    let mut checked_partition = partition.clone();
    if let Some(p) = &raw.aws.partition {
        if !check::PARTITIONS.contains(&p.get_ref().as_str()) {
            checked_partition.clear();
        }
        d.check(p, |s| {
            if check::PARTITIONS.contains(&s) {
                Ok(())
            } else {
                Err(format!(
                    "unknown partition `{s}`: expected one of {}",
                    check::PARTITIONS.join(", ")
                ))
            }
        });
    }
    let saml_provider_name = text(&raw.aws.saml_provider_name).unwrap_or_else(|| "okta".into());
    if let Some(n) = &raw.aws.saml_provider_name {
        d.check(n, |s| {
            if !s.is_empty()
                && s.len() <= 128
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            {
                Ok(())
            } else {
                Err(format!(
                    "invalid SAML provider name `{s}`: use 1-128 letters, digits and `._-`"
                ))
            }
        });
    }
    let role_path = text(&raw.aws.role_path).unwrap_or_else(|| "/".into());
    if let Some(p) = &raw.aws.role_path {
        d.check(p, check::iam_path);
    }

    // [okta]
    d.check(&raw.okta.domain, check::domain);
    d.check(&raw.okta.aws_saml_url, check::saml_url);
    for v in [
        &raw.okta.okta_account_name,
        &raw.okta.mfa_provider,
        &raw.okta.mfa_factor_type,
    ]
    .into_iter()
    .flatten()
    {
        d.check(v, |s| {
            if !s.is_empty() && s.chars().all(|c| c.is_ascii_graphic()) {
                Ok(())
            } else {
                Err(format!(
                    "invalid value `{s}`: expected one word without spaces"
                ))
            }
        });
    }
    let okta = Okta {
        domain: raw.okta.domain.get_ref().clone(),
        aws_saml_url: raw.okta.aws_saml_url.get_ref().clone(),
        okta_account_name: text(&raw.okta.okta_account_name),
        mfa_provider: text(&raw.okta.mfa_provider),
        mfa_factor_type: text(&raw.okta.mfa_factor_type),
    };

    // Accounts: names and ids are unique across the hub and the spokes.
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    let mut ids: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut account = |d: &mut Diags<'_>,
                       name: &Spanned<String>,
                       id: &Spanned<String>,
                       region: &Spanned<String>,
                       partition: &str| {
        d.check(name, check::name);
        d.check(id, check::account_id);
        d.check(region, check::region);
        if check::region(region.get_ref()).is_ok()
            && !partition.is_empty()
            && check::region_partition(region.get_ref()) != partition
        {
            d.at(
                region.span(),
                format!(
                    "region `{}` is not in the org's partition `{partition}`",
                    region.get_ref()
                ),
            );
        }
        let line = d.line(name.span().start);
        if let Some(first) = names.get(name.get_ref()) {
            d.at(
                name.span(),
                format!(
                    "duplicate account name `{}` (first defined at line {first})",
                    name.get_ref()
                ),
            );
        } else {
            names.insert(name.get_ref().clone(), line);
        }
        let id_line = d.line(id.span().start);
        if let Some((first, other)) = ids.get(id.get_ref()) {
            d.at(
                id.span(),
                format!(
                    "account id {} is already used by account `{other}` (line {first})",
                    id.get_ref()
                ),
            );
        } else {
            ids.insert(id.get_ref().clone(), (id_line, name.get_ref().clone()));
        }
        Account {
            name: name.get_ref().clone(),
            account_id: id.get_ref().clone(),
            region: region.get_ref().clone(),
        }
    };

    let hub_name = raw
        .hub
        .name
        .clone()
        .unwrap_or_else(|| Spanned::new(raw.hub.account_id.span(), "hub".to_string()));
    let hub = account(
        d,
        &hub_name,
        &raw.hub.account_id,
        &raw.hub.region,
        &checked_partition,
    );

    let mut spokes = Vec::new();
    for s in &raw.spoke {
        let acct = account(d, &s.name, &s.account_id, &s.region, &checked_partition);
        let mut roles: Vec<SpokeRole> = Vec::new();
        let mut role_lines: BTreeMap<String, usize> = BTreeMap::new();
        for r in &s.role {
            d.check(&r.name, check::role_name);
            if let Some(first) = role_lines.get(r.name.get_ref()) {
                d.at(
                    r.name.span(),
                    format!(
                        "duplicate role `{}` in account `{}` (first defined at line {first})",
                        r.name.get_ref(),
                        acct.name
                    ),
                );
                continue;
            }
            role_lines.insert(r.name.get_ref().clone(), d.line(r.name.span().start));
            let policies = policies(d, &r.policies, &checked_partition);
            if let Some(b) = &r.permissions_boundary {
                d.check(b, |s| check::policy_arn(s, &checked_partition));
            }
            let max = session_duration(d, &r.max_session_duration, DEFAULT_SPOKE_SESSION);
            roles.push(SpokeRole {
                name: r.name.get_ref().clone(),
                description: r.description.as_deref().map(check::one_line),
                policies,
                permissions_boundary: text(&r.permissions_boundary),
                max_session_duration: max,
            });
        }
        spokes.push(Spoke {
            account: acct,
            description: s.description.as_deref().map(check::one_line),
            roles,
        });
    }

    // Teams.
    let mut teams = Vec::new();
    let mut team_lines: BTreeMap<String, usize> = BTreeMap::new();
    let mut hub_role_lines: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut used: BTreeSet<(usize, String)> = BTreeSet::new();
    // A team skipped or a grant that failed may hide a use of a role: then don't call roles unused.
    let mut skipped_team = false;
    for t in &raw.team {
        let tname = t.name.get_ref().clone();
        d.check(&t.name, check::name);
        if let Some(first) = team_lines.get(&tname) {
            d.at(
                t.name.span(),
                format!("duplicate team `{tname}` (first defined at line {first})"),
            );
        } else {
            team_lines.insert(tname.clone(), d.line(t.name.span().start));
        }

        let Some(h) = &t.hub_role else {
            d.at(
                t.name.span(),
                format!(
                    "team `{tname}` has no hub role: add a [team.hub_role] table (every team needs one, it is what Okta signs in to)"
                ),
            );
            skipped_team = true;
            continue;
        };
        let hub_role_name = h
            .name
            .clone()
            .unwrap_or_else(|| Spanned::new(t.name.span(), tname.clone()));
        d.check(&hub_role_name, check::role_name);
        if let Some((first, other)) = hub_role_lines.get(hub_role_name.get_ref()) {
            d.at(
                hub_role_name.span(),
                format!(
                    "hub role `{}` is already the hub role of team `{other}` (line {first})",
                    hub_role_name.get_ref()
                ),
            );
        } else {
            hub_role_lines.insert(
                hub_role_name.get_ref().clone(),
                (d.line(hub_role_name.span().start), tname.clone()),
            );
        }
        let hub_policies = policies(d, &h.policies, &checked_partition);
        if let Some(b) = &h.permissions_boundary {
            d.check(b, |s| check::policy_arn(s, &checked_partition));
        }
        let hub_max = session_duration(d, &h.max_session_duration, DEFAULT_HUB_SESSION);

        // TTLs the CLI will ask for.
        if let Some(ttl) = &t.session_ttl {
            match check::duration(ttl.get_ref()) {
                Err(e) => d.at(ttl.span(), e),
                Ok(secs) if secs < 900 || secs > hub_max => d.at(
                    ttl.span(),
                    format!(
                        "session_ttl `{}` must be between 15m and the hub role's max_session_duration ({hub_max}s)",
                        ttl.get_ref()
                    ),
                ),
                Ok(_) => {}
            }
        }
        if let Some(ttl) = &t.assume_role_ttl {
            match check::duration(ttl.get_ref()) {
                Err(e) => d.at(ttl.span(), e),
                Ok(secs) if !(900..=3600).contains(&secs) => d.at(
                    ttl.span(),
                    format!(
                        "assume_role_ttl `{}` must be between 15m and 1h: AWS caps chained role sessions at one hour",
                        ttl.get_ref()
                    ),
                ),
                Ok(_) => {}
            }
        }

        // Profiles: `<team>-hub` for the hub role, `<account>-<role>` for each spoke role.
        let hub_profile = format!("{tname}-hub");
        let mut profiles: BTreeMap<String, usize> = BTreeMap::new();
        profiles.insert(hub_profile.clone(), d.line(t.name.span().start));

        let mut grants = Vec::new();
        for g in &t.spoke_roles {
            let acct = g.account.get_ref();
            let role = g.role.get_ref();
            let targets: Vec<usize> = if acct == "*" {
                if let Some(p) = &g.profile {
                    d.at(
                        p.span(),
                        "`profile` cannot be set when `account = \"*\"` (it would name several profiles)",
                    );
                }
                let found: Vec<usize> = spokes
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.roles.iter().any(|r| &r.name == role))
                    .map(|(i, _)| i)
                    .collect();
                if found.is_empty() {
                    skipped_team = true;
                    d.at(
                        g.role.span(),
                        format!("no spoke account defines a role `{role}` (for `account = \"*\"`)"),
                    );
                }
                found
            } else {
                match spokes.iter().position(|s| &s.account.name == acct) {
                    None => {
                        let msg = if acct == &hub.name {
                            format!("`{acct}` is the hub account: hub permissions go in [team.hub_role] policies")
                        } else {
                            format!(
                                "unknown account `{acct}` (spoke accounts: {})",
                                list(spokes.iter().map(|s| s.account.name.as_str()))
                            )
                        };
                        d.at(g.account.span(), msg);
                        skipped_team = true;
                        continue;
                    }
                    Some(i) => {
                        if !spokes[i].roles.iter().any(|r| &r.name == role) {
                            d.at(
                                g.role.span(),
                                format!(
                                    "account `{acct}` has no role `{role}` (its roles: {})",
                                    list(spokes[i].roles.iter().map(|r| r.name.as_str()))
                                ),
                            );
                            skipped_team = true;
                            continue;
                        }
                        vec![i]
                    }
                }
            };
            let region = match &g.region {
                Some(r) => {
                    d.check(r, check::region);
                    Some(r.get_ref().clone())
                }
                None => None,
            };
            for i in targets {
                let profile = match &g.profile {
                    Some(p) => {
                        d.check(p, check::profile_name);
                        p.get_ref().clone()
                    }
                    None => format!("{}-{}", spokes[i].account.name, profile_part(role)),
                };
                let line = d.line(g.role.span().start);
                used.insert((i, role.clone()));
                if let Some(first) = profiles.get(&profile) {
                    d.at(
                        g.profile.as_ref().map_or(g.role.span(), |p| p.span()),
                        format!(
                            "duplicate profile name `{profile}` in team `{tname}` (first defined at line {first})"
                        ),
                    );
                    continue;
                }
                profiles.insert(profile.clone(), line);
                grants.push(Grant {
                    spoke: i,
                    role: role.clone(),
                    profile,
                    region: region
                        .clone()
                        .unwrap_or_else(|| spokes[i].account.region.clone()),
                });
            }
        }

        teams.push(Team {
            name: tname.clone(),
            description: t.description.as_deref().map(check::one_line),
            hub_role: HubRole {
                name: hub_role_name.get_ref().clone(),
                profile: hub_profile,
                policies: hub_policies,
                permissions_boundary: text(&h.permissions_boundary),
                max_session_duration: hub_max,
            },
            grants,
            session_ttl: text(&t.session_ttl),
            assume_role_ttl: text(&t.assume_role_ttl),
        });
    }

    // Every spoke role must be reachable: a role nobody may assume cannot be created by the
    // spoke-role module (its trust needs at least one hub role).
    for (i, s) in raw.spoke.iter().enumerate() {
        for r in &s.role {
            if !skipped_team && !used.contains(&(i, r.name.get_ref().clone())) {
                d.at(
                    r.name.span(),
                    format!(
                        "role `{}` in account `{}` is not granted to any team: grant it in a team's spoke_roles or remove it",
                        r.name.get_ref(),
                        s.name.get_ref()
                    ),
                );
            }
        }
    }

    Org {
        source_name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "org.toml".into()),
        okta,
        partition,
        saml_provider_name,
        role_path,
        require_source_identity: raw.aws.require_source_identity,
        hub,
        spokes,
        teams,
    }
}

fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<&str> = names.collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// The role part of a generated profile name: lowercase, other characters become `-`.
fn profile_part(role: &str) -> String {
    role.chars()
        .map(|c| match c {
            'A'..='Z' => c.to_ascii_lowercase(),
            'a'..='z' | '0'..='9' | '.' | '_' | '-' => c,
            _ => '-',
        })
        .collect()
}

fn policies(d: &mut Diags<'_>, list: &[Spanned<String>], partition: &str) -> Vec<String> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut out = Vec::new();
    for p in list {
        d.check(p, |s| check::policy_arn(s, partition));
        if let Some(first) = seen.get(p.get_ref().as_str()) {
            d.at(
                p.span(),
                format!(
                    "policy `{}` is listed twice (first at line {first})",
                    p.get_ref()
                ),
            );
            continue;
        }
        seen.insert(p.get_ref(), d.line(p.span().start));
        out.push(p.get_ref().clone());
    }
    if out.len() > 20 {
        if let Some(p) = list.get(20) {
            d.at(
                p.span(),
                "an IAM role can have at most 20 managed policies attached",
            );
        }
    }
    out
}

fn session_duration(d: &mut Diags<'_>, v: &Option<Spanned<i64>>, default: u64) -> u64 {
    match v {
        None => default,
        Some(v) => {
            let n = *v.get_ref();
            if (3600..=43200).contains(&n) {
                n as u64
            } else {
                d.at(
                    v.span(),
                    format!("max_session_duration {n} must be between 3600 and 43200 seconds"),
                );
                default
            }
        }
    }
}
