use super::Global;
use crate::cache::Cache;
use crate::okta::credentials_item;
use crate::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Also delete the stored Okta password(s) (`okta-creds` items of the given accounts).
    #[arg(long)]
    all: bool,
    /// With --all: the okta_account_name(s) whose passwords to delete (default: the default account).
    #[arg(long = "account", requires = "all")]
    accounts: Vec<String>,
}

pub fn run(global: &Global, args: Args) -> Result<i32> {
    let keychain = global.keychain()?;
    let cache = Cache::new(keychain.as_ref());
    let sessions = cache.okta_session_accounts();
    for account in &sessions {
        cache.forget_okta_session(account)?;
    }
    let credentials = cache.clear_credentials(None)?;
    let oauth = crate::okta::oie::logout_accounts(keychain.as_ref(), &sessions)?;
    if oauth > 0 {
        eprintln!("Revoked and forgot the Okta Identity Engine tokens of {oauth} account(s).");
    }
    eprintln!(
        "Forgot {} Okta session(s) and {credentials} cached credential set(s).",
        sessions.len()
    );
    if args.all {
        let names: Vec<Option<&str>> = if args.accounts.is_empty() {
            vec![None]
        } else {
            args.accounts.iter().map(|a| Some(a.as_str())).collect()
        };
        for name in names {
            let item = credentials_item(name);
            if keychain.delete(&item)? {
                eprintln!("Deleted the stored Okta credentials ({item}).");
            }
        }
    }
    Ok(0)
}
