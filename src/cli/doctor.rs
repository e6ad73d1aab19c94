//! `aws-okta doctor`: one line per check (config, keychain, Okta credentials, the Okta org and
//! its clock, STS, the cache, login locks) with ok/warn/fail and the fix; `--json` prints one
//! JSON object per check. Exit 0 unless a check failed (then 23).
use super::Global;
use crate::config::{served_by_aws_okta, Chain, ConfigFile};
use crate::doctor::{self, Check, Status};
use crate::error::exit;
use crate::{sts, Error, Result};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// One JSON object per check (`{"check","status","message","fix","details"}`), for scripts.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    keychain: super::KeychainFlags,
}

impl Args {
    pub fn keychain(&self) -> &super::KeychainFlags {
        &self.keychain
    }
}

/// What the config says the other checks should look at.
#[derive(Default)]
struct Uses {
    /// `okta_account_name` values (`None`: the default account), in order of first use.
    accounts: Vec<Option<String>>,
    /// STS regions of every hop, in order of first use.
    regions: Vec<String>,
}

pub fn run(global: &Global, args: Args) -> Result<i32> {
    let mut checks = Vec::new();
    let (check, cfg) = config_check();
    checks.push(check);
    let uses = cfg.as_ref().map(uses).unwrap_or_default();
    let accounts = if uses.accounts.is_empty() {
        vec![None]
    } else {
        uses.accounts.clone()
    };

    let backend = global.backend();
    let orgs = match backend
        .as_ref()
        .map_err(|e| e.to_string())
        .and_then(|b| crate::keychain::open(*b).map_err(|e| e.to_string()))
    {
        Ok(keychain) => {
            let (found, orgs) = doctor::keychain(keychain.as_ref(), &accounts);
            checks.extend(found);
            orgs
        }
        Err(message) => {
            checks.push(Check::fail(
                "keychain",
                message,
                "choose a backend this machine has: --backend / AWS_OKTA_BACKEND (secret-service, keyutils, keychain, wincred, file)",
            ));
            doctor::orgs_of(doctor::recorded_orgs(&accounts))
        }
    };
    if orgs.is_empty() {
        checks.push(Check::warn(
            "okta",
            "no Okta org to check: no stored Okta credentials or account record",
            "run `aws-okta add`",
        ));
    }

    let regions = if uses.regions.is_empty() {
        vec![sts::default_region(None).to_string()]
    } else {
        uses.regions.clone()
    };
    let runtime = crate::runtime::current_thread()?;
    runtime.block_on(async {
        for org in &orgs {
            checks.extend(doctor::okta_org(org, &global.settings.okta_http).await);
        }
        // A bad AWS_ENDPOINT_URL_STS already failed at the edge (exit 3, naming it).
        let endpoint = global.settings.sts_endpoint.as_deref();
        for endpoint in doctor::sts_endpoints(&regions, endpoint) {
            checks.push(doctor::sts(&endpoint).await);
        }
    });

    if let Ok(backend) = &backend {
        checks.push(doctor::cache(backend.name()));
    }
    checks.extend(doctor::locks());

    for check in &checks {
        if args.json {
            println!(
                "{}",
                serde_json::to_string(check).map_err(Error::encode("a check"))?
            );
        } else {
            println!("{}", line(check));
        }
    }
    let failed = checks.iter().filter(|c| c.status == Status::Fail).count();
    if !args.json {
        let warned = checks.iter().filter(|c| c.status == Status::Warn).count();
        crate::notice!(
            "{} check{}: {failed} failed, {warned} warning{}",
            checks.len(),
            if checks.len() == 1 { "" } else { "s" },
            if warned == 1 { "" } else { "s" }
        );
    }
    Ok(if failed > 0 { exit::CHECK_FAILED } else { 0 })
}

fn line(check: &Check) -> String {
    let mut text = format!(
        "{:<4}  {:<16}  {}",
        check.status.name(),
        check.check,
        check.message
    );
    if let Some(fix) = &check.fix {
        text.push_str(&format!("  -> fix: {fix}"));
    }
    text
}

/// The config file, with the checks of `config validate`.
fn config_check() -> (Check, Option<ConfigFile>) {
    let path = crate::paths::config_file();
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            let message = if e.kind() == std::io::ErrorKind::NotFound {
                format!("{} does not exist", path.display())
            } else {
                format!("cannot read {}: {e}", path.display())
            };
            return (
                Check::fail(
                    "config",
                    message,
                    "create it (`aws-okta config init --team NAME`, or see the README), or set AWS_CONFIG_FILE",
                ),
                None,
            );
        }
    };
    let (summary, found) = super::config::problems(&path, &text);
    let cfg = ConfigFile::parse(&path, &text).ok();
    let details = serde_json::json!({"path": path, "profiles": summary.checked, "problems": found.iter().map(|p| &p.message).collect::<Vec<_>>()});
    let check = if !found.is_empty() {
        let first = &found[0].message;
        let more = if found.len() > 1 {
            format!(" (and {} more)", found.len() - 1)
        } else {
            String::new()
        };
        Check::fail(
            "config",
            format!(
                "{} problem{} in {}: {first}{more}",
                found.len(),
                if found.len() == 1 { "" } else { "s" },
                path.display()
            ),
            "`aws-okta config validate` lists them all with their lines",
        )
    } else if !summary.sdk_warnings.is_empty() {
        Check::warn(
            "config",
            format!(
                "{} aws-okta profile{} in {}; {} that AWS SDKs would misread",
                summary.checked,
                if summary.checked == 1 { "" } else { "s" },
                path.display(),
                summary.sdk_warnings.len()
            ),
            "`aws-okta config migrate` (`config validate` names them)",
        )
    } else if summary.checked == 0 {
        Check::warn(
            "config",
            format!("no aws-okta profile in {}", path.display()),
            "`aws-okta config init --team NAME`, or add profiles (see the README)",
        )
    } else {
        Check::ok(
            "config",
            format!(
                "{} aws-okta profile{} in {}",
                summary.checked,
                if summary.checked == 1 { "" } else { "s" },
                path.display()
            ),
        )
    };
    (check.with(details), cfg)
}

/// The Okta accounts and STS regions the config's aws-okta profiles use.
fn uses(cfg: &ConfigFile) -> Uses {
    let mut uses = Uses::default();
    let Ok(profiles) = cfg.profiles() else {
        return uses;
    };
    for name in profiles.keys() {
        if !served_by_aws_okta(&profiles, name) {
            continue;
        }
        let Ok(chain) = Chain::resolve(cfg, name) else {
            continue;
        };
        if !uses.accounts.contains(&chain.okta.account_name) {
            uses.accounts.push(chain.okta.account_name.clone());
        }
        let mut add = |region: Option<&str>, role: Option<&str>| {
            let region = region
                .unwrap_or_else(|| sts::default_region(role))
                .to_string();
            if !uses.regions.contains(&region) {
                uses.regions.push(region);
            }
        };
        add(chain.saml.region.as_deref(), chain.saml.role_arn.as_deref());
        for hop in &chain.hops {
            add(hop.region.as_deref(), Some(&hop.role_arn));
        }
    }
    uses
}
