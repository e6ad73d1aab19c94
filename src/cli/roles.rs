//! `aws-okta roles [--account PATTERN] [--json]`: the roles the AWS app's SAML assertion
//! offers, with account ids, account names and the profiles that use them.
use super::{Global, RoleTarget};
use crate::config::{glob_match, is_role_arn, Chain, ConfigFile, OktaSettings};
use crate::roles::{self, OfferedRole};
use crate::{provider, Result};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only the accounts whose name or id matches this shell glob (case-insensitive).
    #[arg(long, value_name = "PATTERN")]
    account: Option<String>,
    /// One JSON object per role (account_id, account_name, role_name, role_arn,
    /// principal_arn, profiles).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    okta: OktaArgs,
}

/// Which Okta org and AWS app, for the commands that use the assertion without a profile.
#[derive(Debug, Clone, clap::Args)]
pub struct OktaArgs {
    /// Use the Okta org, app and login of this profile (its aws_saml_url, okta_account_name)
    /// [default: the [okta] section].
    #[arg(long, value_name = "PROFILE")]
    pub okta_profile: Option<String>,
    /// Ignore the Okta session: log in afresh.
    #[arg(long)]
    pub no_cache: bool,
    #[command(flatten)]
    pub flags: super::CredentialFlags,
}

impl OktaArgs {
    /// The Okta settings: the profile's when one is named, else the `[okta]` section's.
    pub fn settings(&self, cfg: &ConfigFile) -> Result<OktaSettings> {
        match &self.okta_profile {
            Some(profile) => Ok(Chain::resolve(cfg, profile)?.okta),
            None => OktaSettings::of_okta_section(cfg),
        }
    }
}

impl Args {
    pub fn flags(&self) -> &super::CredentialFlags {
        &self.okta.flags
    }
}

/// The roles the assertion offers, named (one login at most: the cached Okta session first).
fn offered(
    global: &Global,
    cfg: &ConfigFile,
    settings: &OktaSettings,
    no_cache: bool,
) -> Result<Vec<OfferedRole>> {
    let options = global.login_options(no_cache)?;
    let assertion = provider::assertion(settings, global.keychain()?.as_ref(), &options)?;
    let names = roles::account_names(&assertion, cfg)?;
    roles::offered(&assertion, cfg, &names)
}

/// The chain of `--role`: an exact role ARN needs nothing more (the cache may answer at once);
/// a pattern is matched against the roles the assertion offers.
pub fn chain(
    global: &Global,
    cfg: &ConfigFile,
    target: &RoleTarget,
    no_cache: bool,
) -> Result<Chain> {
    let settings = match &target.okta_profile {
        Some(profile) => Chain::resolve(cfg, profile)?.okta,
        None => OktaSettings::of_okta_section(cfg)?,
    };
    let assume = target.assume.as_deref();
    if is_role_arn(&target.role) {
        let account = target.role.split(':').nth(4).unwrap_or("");
        let mut names = crate::signin::cached_names();
        names.extend(roles::config_names(cfg)?);
        let label = format!(
            "{}/{}",
            names
                .get(account)
                .filter(|n| !n.is_empty())
                .map_or(account, String::as_str),
            target.role.rsplit('/').next().unwrap_or("")
        );
        return Chain::for_role(settings, &label, Some(&target.role), assume);
    }
    let offered = offered(global, cfg, &settings, no_cache)?;
    let role = roles::pick(&target.role, &offered)?;
    Chain::for_role(settings, &role.label(), Some(&role.role_arn), assume)
}

pub fn run(global: &Global, args: Args) -> Result<i32> {
    let cfg = global.load_config()?;
    let settings = args.okta.settings(&cfg)?;
    let mut offered = offered(global, &cfg, &settings, args.okta.no_cache)?;
    if let Some(pattern) = &args.account {
        let pattern = pattern.to_ascii_lowercase();
        offered.retain(|r| {
            glob_match(&pattern, &r.account_id)
                || r.account_name
                    .as_deref()
                    .is_some_and(|n| glob_match(&pattern, &n.to_ascii_lowercase()))
        });
    }
    if args.json {
        for role in &offered {
            println!(
                "{}",
                serde_json::to_string(role).map_err(|e| crate::Error::encode("a role")(e))?
            );
        }
        return Ok(0);
    }
    let rows: Vec<[String; 4]> = offered
        .iter()
        .map(|r| {
            [
                r.account_id.clone(),
                r.account_name.clone().unwrap_or_else(|| "-".into()),
                r.role_name.clone(),
                if r.profiles.is_empty() {
                    "-".into()
                } else {
                    r.profiles.join(",")
                },
            ]
        })
        .collect();
    let width = |col: usize| rows.iter().map(|r| r[col].len()).max().unwrap_or(0);
    let (w0, w1, w2) = (width(0), width(1), width(2));
    for row in &rows {
        println!("{:w0$}  {:w1$}  {:w2$}  {}", row[0], row[1], row[2], row[3]);
    }
    Ok(0)
}
