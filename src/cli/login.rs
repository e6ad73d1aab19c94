use super::{Global, ProfileArgs};
use crate::config::Chain;
use crate::federation::{self, Partition};
use crate::okta::OktaAccount;
use crate::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    target: ProfileArgs,
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

pub fn run(global: &Global, args: Args) -> Result<i32> {
    let cfg = global.load_config()?;
    let chain = Chain::resolve(&cfg, &args.target.profile)?;
    // A profile with its own aws_saml_url opens that Okta app (Okta's console role picker).
    let target = cfg.profile(&chain.target)?;
    let own_saml_url = target.as_ref().and_then(|p| p.get("aws_saml_url"));
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
            let creds = global.chain_credentials(&chain, args.target.no_cache)?;
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
    if let Err(e) = open::that(url.as_str()) {
        eprintln!("aws-okta: cannot open a browser ({e}); open this URL yourself:");
        println!("{url}");
    }
    Ok(0)
}
