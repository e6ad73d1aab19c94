//! The roles a SAML assertion offers, as `roles` lists them and `--role` picks one: each with
//! its account id, the account's name (the team config's `okta_aws_account_name`, else AWS's
//! sign-in page, cached) and the profiles whose SAML hop uses it.
use crate::config::{self, keys, ConfigFile};
use crate::saml::SamlAssertion;
use crate::signin::{self, AccountNames};
use crate::{Error, Result};

/// One role of the assertion.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OfferedRole {
    pub account_id: String,
    /// `None` when neither the config nor AWS's sign-in page names the account.
    pub account_name: Option<String>,
    pub role_name: String,
    pub role_arn: String,
    pub principal_arn: String,
    /// Profiles whose SAML hop (a profile without a source) assumes this role.
    pub profiles: Vec<String>,
}

impl OfferedRole {
    /// `account-name/role-name` (the account id when it has no name).
    pub fn label(&self) -> String {
        format!(
            "{}/{}",
            self.account_name.as_deref().unwrap_or(&self.account_id),
            self.role_name
        )
    }
}

fn account_of(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or("")
}

/// Account names from the config: `okta_aws_account_name` of the profiles, by the account of
/// each one's role.
pub fn config_names(cfg: &ConfigFile) -> Result<AccountNames> {
    let mut names = AccountNames::new();
    for section in cfg.profiles()?.values() {
        let (Some(name), Some(role)) = (
            section.get(keys::OKTA_AWS_ACCOUNT_NAME),
            config::role_of(section),
        ) else {
            continue;
        };
        names.insert(account_of(role).to_string(), name.to_string());
    }
    Ok(names)
}

/// The names of the assertion's accounts: the config's, else those cached, else AWS's sign-in
/// page for the rest (one request, only with two roles or more: with one, AWS shows no role
/// picker but signs the browser in), whose answer is cached for the next time.
pub fn account_names(assertion: &SamlAssertion, cfg: &ConfigFile) -> Result<AccountNames> {
    let mut names = signin::cached_names();
    names.extend(config_names(cfg)?);
    let missing = assertion
        .roles
        .iter()
        .any(|r| !names.contains_key(account_of(&r.role_arn)));
    if !missing || assertion.roles.len() < 2 {
        return Ok(names);
    }
    let Some(endpoint) = signin::partition_of(assertion)
        .map(signin::saml_endpoint)
        .transpose()?
        .flatten()
    else {
        return Ok(names);
    };
    match signin::fetch_account_names(&endpoint, assertion) {
        Ok(mut learnt) => {
            // Accounts the page does not list are remembered as unnamed: not asked again.
            for role in &assertion.roles {
                learnt
                    .entry(account_of(&role.role_arn).to_string())
                    .or_default();
            }
            signin::remember_names(&learnt);
            for (id, name) in learnt {
                names.entry(id).or_insert(name);
            }
        }
        Err(e) => crate::warning!("no account names ({e}); showing account ids"),
    }
    Ok(names)
}

/// The assertion's roles with their names and profiles, in the assertion's order.
pub fn offered(
    assertion: &SamlAssertion,
    cfg: &ConfigFile,
    names: &AccountNames,
) -> Result<Vec<OfferedRole>> {
    let profiles = cfg.profiles()?;
    Ok(assertion
        .roles
        .iter()
        .map(|r| {
            let account_id = account_of(&r.role_arn).to_string();
            OfferedRole {
                account_name: names.get(&account_id).filter(|n| !n.is_empty()).cloned(),
                account_id,
                role_name: r.role_arn.rsplit('/').next().unwrap_or("").to_string(),
                role_arn: r.role_arn.clone(),
                principal_arn: r.principal_arn.clone(),
                profiles: profiles
                    .iter()
                    .filter(|(_, s)| {
                        config::source_of(s).is_none()
                            && config::role_of(s)
                                .is_some_and(|arn| arn.eq_ignore_ascii_case(&r.role_arn))
                    })
                    .map(|(name, _)| name.clone())
                    .collect(),
            }
        })
        .collect())
}

/// Whether `pattern` (a shell glob, case-insensitive) names `role`: its ARN,
/// `account-name/role-name`, `account-id/role-name`, the account id or the role name.
pub fn matches(pattern: &str, role: &OfferedRole) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let mut names = vec![
        role.role_arn.clone(),
        format!("{}/{}", role.account_id, role.role_name),
        role.account_id.clone(),
        role.role_name.clone(),
    ];
    if let Some(name) = &role.account_name {
        names.push(format!("{name}/{}", role.role_name));
    }
    names
        .iter()
        .any(|n| config::glob_match(&pattern, &n.to_ascii_lowercase()))
}

/// The one role `pattern` names; none or several is an error listing the candidates.
pub fn pick<'a>(pattern: &str, roles: &'a [OfferedRole]) -> Result<&'a OfferedRole> {
    let found: Vec<&OfferedRole> = roles.iter().filter(|r| matches(pattern, r)).collect();
    let list = |roles: &[&OfferedRole]| {
        roles
            .iter()
            .map(|r| format!("{} ({})", r.label(), r.role_arn))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(Error::RoleChoice(format!(
            "--role '{pattern}' matches none of the roles Okta offers: {}; see `aws-okta roles`",
            if roles.is_empty() {
                "none".to_string()
            } else {
                list(&roles.iter().collect::<Vec<_>>())
            }
        ))),
        several => Err(Error::RoleChoice(format!(
            "--role '{pattern}' matches {} roles: {}; give account-name/role-name or the role ARN",
            several.len(),
            list(several)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(arn: &str, name: Option<&str>) -> OfferedRole {
        OfferedRole {
            account_id: account_of(arn).to_string(),
            account_name: name.map(str::to_string),
            role_name: arn.rsplit('/').next().unwrap().to_string(),
            role_arn: arn.to_string(),
            principal_arn: String::new(),
            profiles: Vec::new(),
        }
    }

    #[test]
    fn a_pattern_picks_by_name_id_role_or_arn_and_says_when_it_cannot() {
        let roles = [
            role("arn:aws:iam::111111111111:role/admin", Some("prod")),
            role("arn:aws:iam::111111111111:role/read", Some("prod")),
            role("arn:aws:iam::222222222222:role/admin", None),
        ];
        assert_eq!(
            pick("prod/read", &roles).unwrap().role_arn,
            roles[1].role_arn
        );
        assert_eq!(
            pick("PROD/Admin", &roles).unwrap().role_arn,
            roles[0].role_arn
        );
        assert_eq!(pick("read", &roles).unwrap().role_arn, roles[1].role_arn);
        assert_eq!(pick("2222*", &roles).unwrap().role_arn, roles[2].role_arn);
        assert_eq!(
            pick("arn:aws:iam::222222222222:role/admin", &roles)
                .unwrap()
                .role_arn,
            roles[2].role_arn
        );
        let e = pick("admin", &roles).unwrap_err();
        assert!(matches!(e, Error::RoleChoice(_)), "{e}");
        let said = e.to_string();
        assert!(
            said.contains("matches 2 roles")
                && said.contains("prod/admin")
                && said.contains("222222222222/admin"),
            "{said}"
        );
        let e = pick("staging/*", &roles).unwrap_err().to_string();
        assert!(e.contains("matches none") && e.contains("prod/read"), "{e}");
    }
}
