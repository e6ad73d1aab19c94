use super::Global;
use crate::cache::Cache;
use crate::config::ConfigFile;
use crate::okta::credentials_item;
use crate::okta::session::{self, Ended};
use crate::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Also delete the stored Okta password(s) (`okta-creds` items of the given accounts) and
    /// remembered device(s).
    #[arg(long)]
    all: bool,
    /// With --all: the okta_account_name(s) whose passwords to delete (default: the default account).
    #[arg(long = "account", requires = "all")]
    accounts: Vec<String>,
    #[command(flatten)]
    keychain: super::KeychainFlags,
}

impl Args {
    pub fn keychain(&self) -> &super::KeychainFlags {
        &self.keychain
    }
}

pub fn run(global: &Global, args: Args) -> Result<i32> {
    let keychain = global.keychain()?;
    let cache = Cache::new(keychain.as_ref());
    // With --all, the named accounts (default: the default one) go entirely.
    let all_names: Vec<Option<&str>> = match (args.all, args.accounts.is_empty()) {
        (false, _) => Vec::new(),
        (true, true) => vec![None],
        (true, false) => args.accounts.iter().map(|a| Some(a.as_str())).collect(),
    };
    let mut sessions = cache.okta_session_accounts();
    sessions.extend(all_names.iter().map(|n| n.unwrap_or("default").to_string()));
    sessions.sort();
    sessions.dedup();

    let runtime = crate::runtime::current_thread()?;
    let mut forgotten = Vec::new();
    let mut ended = 0;
    for account in &sessions {
        // First end it at Okta, so a copy of the `sid` is worthless too; best effort: offline
        // (or with Okta refusing) it is still forgotten here and ends at its expiry.
        if let Some((sid, issued_for)) = cache.stored_okta_session(account)? {
            // Only at the org that issued it: a session stored before items recorded their
            // identity is forgotten without a request (the account may point elsewhere now).
            if let Some(base) = issued_for.as_ref().and_then(|i| i.base_url()) {
                match runtime.block_on(session::end(base, &sid, &global.settings.okta_http)) {
                    Ok(Ended::Ended) => ended += 1,
                    Ok(Ended::AlreadyGone) => {
                        tracing::debug!(account, "the Okta session had already ended")
                    }
                    Err(e) => crate::warning!(
                        "could not end the Okta session of account '{account}' at Okta ({e}); it is forgotten here and ends at its expiry"
                    ),
                }
            }
        }
        if cache.forget_okta_session(account)? {
            forgotten.push(account.clone());
        }
    }
    drop(runtime);
    let credentials = cache.clear_credentials(None)?;
    // The Identity Engine tokens of every account the config names, besides those above: a
    // token outlives the session it came with.
    let mut accounts: std::collections::BTreeSet<String> = sessions.iter().cloned().collect();
    if let Ok(config) = ConfigFile::load(&crate::paths::config_file()) {
        accounts.extend(config.okta_account_names());
    }
    accounts.insert("default".to_string());
    let accounts: Vec<String> = accounts.into_iter().collect();
    let oauth = crate::okta::oie::logout_accounts(
        keychain.as_ref(),
        &accounts,
        &global.settings.okta_http,
    )?;
    if oauth > 0 {
        crate::notice!("Revoked and forgot the Okta Identity Engine tokens of {oauth} account(s).");
    }
    if ended > 0 {
        crate::notice!("Ended {ended} Okta session(s) at Okta.");
    }
    crate::notice!(
        "Forgot {} Okta session(s) and {credentials} cached credential set(s).",
        forgotten.len()
    );
    for name in all_names {
        let label = name.unwrap_or("default");
        let item = credentials_item(name);
        if keychain.delete(&item)? {
            crate::notice!("Deleted the stored Okta credentials ({item}).");
        }
        // Nothing of the account stays behind: the remembered device would let the next
        // login (of whoever adds this account again) skip MFA.
        if session::forget_device_token(keychain.as_ref(), label)? {
            crate::notice!("Forgot the remembered device of Okta account '{label}'.");
        }
        crate::okta::identity::forget_record(label)?;
    }
    Ok(0)
}
