//! The teams: each team's hub role, its TTLs and the spoke roles it may assume (its grants,
//! which name its profiles), and the check that every spoke role is granted to some team.

use std::collections::{BTreeMap, BTreeSet};

use toml::Spanned;

use super::accounts::{policies, session_duration};
use super::diags::Diags;
use super::raw::{GrantToml, HubRoleToml, SpokeToml, TeamToml};
use super::{text, Account, Grant, HubRole, Spoke, Team, DEFAULT_HUB_SESSION};
use crate::check;

/// What the teams section yields.
pub(super) struct Teams {
    pub(super) teams: Vec<Team>,
    /// Every (spoke index, role) some team may assume.
    pub(super) used: BTreeSet<(usize, String)>,
    /// A team was skipped or a grant failed: it may hide a use of a role, so no role is
    /// called unused.
    pub(super) incomplete: bool,
}

/// Team names and hub role names seen so far, with the line that first used each.
#[derive(Default)]
struct Seen {
    teams: BTreeMap<String, usize>,
    hub_roles: BTreeMap<String, (usize, String)>,
}

pub(super) fn teams(
    d: &mut Diags<'_>,
    raw: &[TeamToml],
    hub: &Account,
    spokes: &[Spoke],
    partition: &str,
) -> Teams {
    let mut out = Teams {
        teams: Vec::new(),
        used: BTreeSet::new(),
        incomplete: false,
    };
    let mut seen = Seen::default();
    for t in raw {
        let tname = t.name.get_ref().clone();
        d.check(&t.name, check::name);
        if let Some(first) = seen.teams.get(&tname) {
            d.at(
                t.name.span(),
                format!("duplicate team `{tname}` (first defined at line {first})"),
            );
        } else {
            seen.teams
                .insert(tname.clone(), d.line(t.name.span().start));
        }

        let Some(h) = &t.hub_role else {
            d.at(
                t.name.span(),
                format!(
                    "team `{tname}` has no hub role: add a [team.hub_role] table (every team needs one, it is what Okta signs in to)"
                ),
            );
            out.incomplete = true;
            continue;
        };
        let hub_role = hub_role(d, t, h, &mut seen, partition);
        check_ttls(d, t, hub_role.max_session_duration);
        let grants = grants(d, t, &hub_role.profile, hub, spokes, &mut out);
        out.teams.push(Team {
            name: tname,
            description: t.description.as_deref().map(check::one_line),
            hub_role,
            grants,
            session_ttl: text(&t.session_ttl),
            assume_role_ttl: text(&t.assume_role_ttl),
        });
    }
    out
}

/// The team's role in the hub (named after the team unless `name` says otherwise); its profile
/// is `<team>-hub`.
fn hub_role(
    d: &mut Diags<'_>,
    t: &TeamToml,
    h: &HubRoleToml,
    seen: &mut Seen,
    partition: &str,
) -> HubRole {
    let tname = t.name.get_ref();
    let name = h
        .name
        .clone()
        .unwrap_or_else(|| Spanned::new(t.name.span(), tname.clone()));
    d.check(&name, check::role_name);
    if let Some((first, other)) = seen.hub_roles.get(name.get_ref()) {
        d.at(
            name.span(),
            format!(
                "hub role `{}` is already the hub role of team `{other}` (line {first})",
                name.get_ref()
            ),
        );
    } else {
        seen.hub_roles.insert(
            name.get_ref().clone(),
            (d.line(name.span().start), tname.clone()),
        );
    }
    let policies = policies(d, &h.policies, partition);
    if let Some(b) = &h.permissions_boundary {
        d.check(b, |s| check::policy_arn(s, partition));
    }
    let max_session_duration = session_duration(d, &h.max_session_duration, DEFAULT_HUB_SESSION);
    HubRole {
        name: name.get_ref().clone(),
        profile: format!("{tname}-hub"),
        policies,
        permissions_boundary: text(&h.permissions_boundary),
        max_session_duration,
    }
}

/// The TTLs the CLI will ask for: within what the hub role and AWS allow.
fn check_ttls(d: &mut Diags<'_>, t: &TeamToml, hub_max: u64) {
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
}

/// The team's spoke roles, one profile each: `<account>-<role>` unless `profile` names it.
fn grants(
    d: &mut Diags<'_>,
    t: &TeamToml,
    hub_profile: &str,
    hub: &Account,
    spokes: &[Spoke],
    out: &mut Teams,
) -> Vec<Grant> {
    let tname = t.name.get_ref();
    let mut profiles: BTreeMap<String, usize> = BTreeMap::new();
    profiles.insert(hub_profile.to_string(), d.line(t.name.span().start));
    let mut grants = Vec::new();
    for g in &t.spoke_roles {
        let role = g.role.get_ref();
        let Some(targets) = grant_targets(d, g, hub, spokes, out) else {
            continue;
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
            out.used.insert((i, role.clone()));
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
    grants
}

/// The spokes a grant names: every spoke with the role for `account = "*"`, else the one
/// account, which must have the role. `None` when the grant names no usable account.
fn grant_targets(
    d: &mut Diags<'_>,
    g: &GrantToml,
    hub: &Account,
    spokes: &[Spoke],
    out: &mut Teams,
) -> Option<Vec<usize>> {
    let acct = g.account.get_ref();
    let role = g.role.get_ref();
    if acct == "*" {
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
            out.incomplete = true;
            d.at(
                g.role.span(),
                format!("no spoke account defines a role `{role}` (for `account = \"*\"`)"),
            );
        }
        return Some(found);
    }
    let Some(i) = spokes.iter().position(|s| &s.account.name == acct) else {
        let msg = if acct == &hub.name {
            format!("`{acct}` is the hub account: hub permissions go in [team.hub_role] policies")
        } else {
            format!(
                "unknown account `{acct}` (spoke accounts: {})",
                list(spokes.iter().map(|s| s.account.name.as_str()))
            )
        };
        d.at(g.account.span(), msg);
        out.incomplete = true;
        return None;
    };
    if !spokes[i].roles.iter().any(|r| &r.name == role) {
        d.at(
            g.role.span(),
            format!(
                "account `{acct}` has no role `{role}` (its roles: {})",
                list(spokes[i].roles.iter().map(|r| r.name.as_str()))
            ),
        );
        out.incomplete = true;
        return None;
    }
    Some(vec![i])
}

/// Every spoke role must be reachable: a role nobody may assume cannot be created by the
/// spoke-role module (its trust needs at least one hub role).
pub(super) fn check_unused_roles(d: &mut Diags<'_>, spokes: &[SpokeToml], teams: &Teams) {
    if teams.incomplete {
        return;
    }
    for (i, s) in spokes.iter().enumerate() {
        for r in &s.role {
            if !teams.used.contains(&(i, r.name.get_ref().clone())) {
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
