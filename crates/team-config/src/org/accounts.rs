//! The accounts: the hub and the spokes with their roles. Names and ids are unique across all
//! of them.

use std::collections::BTreeMap;

use toml::Spanned;

use super::diags::Diags;
use super::raw::{HubToml, SpokeRoleToml, SpokeToml};
use super::{text, Account, Spoke, SpokeRole, DEFAULT_SPOKE_SESSION};
use crate::check;

/// The account names and ids seen so far, with the line that first used each.
#[derive(Default)]
pub(super) struct Accounts {
    names: BTreeMap<String, usize>,
    ids: BTreeMap<String, (usize, String)>,
}

impl Accounts {
    /// One account (the hub or a spoke), checked and recorded.
    fn account(
        &mut self,
        d: &mut Diags<'_>,
        name: &Spanned<String>,
        id: &Spanned<String>,
        region: &Spanned<String>,
        partition: &str,
    ) -> Account {
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
        if let Some(first) = self.names.get(name.get_ref()) {
            d.at(
                name.span(),
                format!(
                    "duplicate account name `{}` (first defined at line {first})",
                    name.get_ref()
                ),
            );
        } else {
            self.names.insert(name.get_ref().clone(), line);
        }
        let id_line = d.line(id.span().start);
        if let Some((first, other)) = self.ids.get(id.get_ref()) {
            d.at(
                id.span(),
                format!(
                    "account id {} is already used by account `{other}` (line {first})",
                    id.get_ref()
                ),
            );
        } else {
            self.ids
                .insert(id.get_ref().clone(), (id_line, name.get_ref().clone()));
        }
        Account {
            name: name.get_ref().clone(),
            account_id: id.get_ref().clone(),
            region: region.get_ref().clone(),
        }
    }

    /// The hub account (named `hub` unless `[hub] name` says otherwise).
    pub(super) fn hub(&mut self, d: &mut Diags<'_>, hub: &HubToml, partition: &str) -> Account {
        let hub_name = hub
            .name
            .clone()
            .unwrap_or_else(|| Spanned::new(hub.account_id.span(), "hub".to_string()));
        self.account(d, &hub_name, &hub.account_id, &hub.region, partition)
    }

    /// The spoke accounts and their roles.
    pub(super) fn spokes(
        &mut self,
        d: &mut Diags<'_>,
        spokes: &[SpokeToml],
        partition: &str,
    ) -> Vec<Spoke> {
        spokes
            .iter()
            .map(|s| {
                let account = self.account(d, &s.name, &s.account_id, &s.region, partition);
                let roles = spoke_roles(d, &s.role, &account.name, partition);
                Spoke {
                    account,
                    description: s.description.as_deref().map(check::one_line),
                    roles,
                }
            })
            .collect()
    }
}

/// One spoke's roles; a role defined twice in the account is reported and left out.
fn spoke_roles(
    d: &mut Diags<'_>,
    roles: &[SpokeRoleToml],
    account: &str,
    partition: &str,
) -> Vec<SpokeRole> {
    let mut out: Vec<SpokeRole> = Vec::new();
    let mut role_lines: BTreeMap<String, usize> = BTreeMap::new();
    for r in roles {
        d.check(&r.name, check::role_name);
        if let Some(first) = role_lines.get(r.name.get_ref()) {
            d.at(
                r.name.span(),
                format!(
                    "duplicate role `{}` in account `{account}` (first defined at line {first})",
                    r.name.get_ref(),
                ),
            );
            continue;
        }
        role_lines.insert(r.name.get_ref().clone(), d.line(r.name.span().start));
        let policies = policies(d, &r.policies, partition);
        if let Some(b) = &r.permissions_boundary {
            d.check(b, |s| check::policy_arn(s, partition));
        }
        let max = session_duration(d, &r.max_session_duration, DEFAULT_SPOKE_SESSION);
        out.push(SpokeRole {
            name: r.name.get_ref().clone(),
            description: r.description.as_deref().map(check::one_line),
            policies,
            permissions_boundary: text(&r.permissions_boundary),
            max_session_duration: max,
        });
    }
    out
}

pub(super) fn policies(
    d: &mut Diags<'_>,
    list: &[Spanned<String>],
    partition: &str,
) -> Vec<String> {
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

pub(super) fn session_duration(d: &mut Diags<'_>, v: &Option<Spanned<i64>>, default: u64) -> u64 {
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
