use super::Global;
use crate::config::Chain;
use crate::federation::{self, Partition};
use crate::okta::OktaAccount;
use crate::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    target: super::PickProfileArgs,
    /// Console page to open, e.g. /s3/home (in the profile's region).
    #[arg(long, conflicts_with = "destination")]
    path: Option<String>,
    /// Full console URL to open instead of the console home.
    #[arg(long)]
    destination: Option<String>,
    /// Print the sign-in URL instead of opening a browser (scripts, SSH sessions).
    #[arg(long)]
    stdout: bool,
}

impl Args {
    pub fn flags(&self) -> &super::CredentialFlags {
        &self.target.flags
    }
}

pub fn run(global: &Global, args: Args) -> Result<i32> {
    let wanted = args.target.resolve("login")?;
    let cfg = global.load_config()?;
    let chain = Chain::resolve(&cfg, &wanted.profile)?;
    // A profile with its own aws_saml_url opens that Okta app (Okta's console role picker).
    let target = cfg.profile(&chain.target)?;
    let own_saml_url = target.as_ref().and_then(|p| p.get("aws_saml_url"));
    // Whether the URL carries a console sign-in token (a bearer secret for 15 minutes).
    let secret = own_saml_url.is_none();
    let url = match own_saml_url {
        Some(path) => {
            let account = OktaAccount::load(
                global.keychain()?.as_ref(),
                chain.okta.account_name.as_deref(),
            )?;
            // Opened with the system opener: only an https page on the org, never a file,
            // program or another host named by a shared config file.
            crate::okta::origin::OktaOrigin::new(account.base_url)
                .config_url("aws_saml_url", path)?
        }
        None => {
            let creds = global.chain_credentials(&chain, wanted.no_cache)?;
            let partition =
                Partition::of_arn(chain.final_role_arn().unwrap_or(&creds.assumed_role_arn));
            let destination = args.destination.clone().unwrap_or_else(|| {
                partition.destination(chain.region.as_deref(), args.path.as_deref())
            });
            let endpoint = partition.federation_endpoint()?;
            let token = federation::signin_token(&endpoint, &creds)?;
            federation::login_url(&endpoint, &destination, &token)
        }
    };
    if args.stdout {
        println!("{url}");
        return Ok(0);
    }
    let opened = if secret {
        open_privately(url.as_str())
    } else {
        open::that(url.as_str()).map_err(|e| e.to_string())
    };
    if let Err(e) = opened {
        eprintln!("aws-okta: cannot open a browser ({e}); open this URL yourself:");
        println!("{url}");
    }
    Ok(0)
}

/// How long a sign-in page file is kept: the federation sign-in token's own lifetime.
const SIGNIN_FILE_LIFETIME: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Opens the sign-in URL without putting it in any process's arguments (the opener, the
/// browser), where every local user can read it (`ps`, `/proc/<pid>/cmdline`): the URL goes
/// into a 0600 page in aws-okta's private state directory that redirects to it, and the
/// browser is given that file's path. Pages older than the token's lifetime are removed.
fn open_privately(url: &str) -> std::result::Result<(), String> {
    use std::io::Write;
    let dir = crate::config::state_dir().join("signin");
    crate::fsutil::private_state_dir(&dir).map_err(|e| e.to_string())?;
    remove_stale_pages(&dir);
    let mut name = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut name);
    let path = dir.join(format!("{}.html", hex::encode(name)));
    let escaped = html_escape::encode_double_quoted_attribute(url);
    let page = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><meta name=\"referrer\" content=\"no-referrer\">\
         <meta http-equiv=\"refresh\" content=\"0;url={escaped}\"><title>aws-okta</title></head>\
         <body><a href=\"{escaped}\">Open the AWS console</a></body></html>\n"
    );
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).map_err(|e| e.to_string())?;
    file.write_all(page.as_bytes()).map_err(|e| e.to_string())?;
    drop(file);
    open::that(&path).map_err(|e| e.to_string())
}

fn remove_stale_pages(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > SIGNIN_FILE_LIFETIME);
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
