use super::Global;
use crate::okta::{self, OktaAccount, StoredCredentials};
use crate::terminal;
use crate::{Error, Result};
use secrecy::SecretString;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Okta org: example.okta.com, example.oktapreview.com, a custom domain or a URL.
    #[arg(long)]
    domain: Option<String>,
    /// Okta username (usually your email).
    #[arg(long)]
    username: Option<String>,
    /// Store under this okta_account_name (keychain item okta-creds-NAME).
    #[arg(long)]
    account: Option<String>,
}

pub fn run(global: &Global, args: Args) -> Result<i32> {
    let interactive = terminal::interactive();
    let ask = |value: Option<String>, prompt: &str, flag: &str| -> Result<String> {
        match value {
            Some(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
            _ if interactive => terminal::input(prompt).map_err(Error::Usage),
            _ => Err(Error::Usage(format!(
                "{flag} is required when stdin is not a terminal"
            ))),
        }
    };
    let domain = ask(
        args.domain,
        "Okta domain (e.g. example.okta.com)",
        "--domain",
    )?;
    let base = okta::parse_domain(&domain)?;
    let username = ask(args.username, "Okta username", "--username")?;
    let password = if interactive {
        terminal::password("Okta password").map_err(Error::Usage)?
    } else {
        terminal::read_stdin_line().map_err(Error::Usage)?
    };
    if password.is_empty() {
        return Err(Error::Usage("the password is empty: nothing stored".into()));
    }
    let creds = StoredCredentials {
        domain: base.as_str().trim_end_matches('/').to_string(),
        username: username.clone(),
        password: SecretString::from(password.as_str()),
    };
    drop(password); // Zeroizing: wiped here
    let keychain = global.keychain()?;
    OktaAccount::store(keychain.as_ref(), args.account.as_deref(), &creds)?;
    eprintln!(
        "Stored Okta credentials for {username} at {} in the {} keychain (item {}).",
        creds.domain,
        keychain.backend().name(),
        okta::credentials_item(args.account.as_deref())
    );
    Ok(0)
}
