use super::Global;
use crate::cache::Cache;
use crate::keychain::Keychain;
use crate::okta::identity::{self, Identity};
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
    #[command(flatten)]
    keychain: super::KeychainFlags,
}

impl Args {
    pub fn keychain(&self) -> &super::KeychainFlags {
        &self.keychain
    }
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
    let name = args.account.as_deref();
    let label = name.unwrap_or("default");
    let identity = Identity::new(&base, &username);
    // Whom the label stood for until now: the keychain item, else (no item) the record.
    let previous = OktaAccount::load(keychain.as_ref(), name)
        .ok()
        .map(|a| Identity::of(&a))
        .or_else(|| identity::recorded(label));
    // The record first: should the keychain write fail, the record disagrees with the item
    // and the next login corrects it; the other way round a warm run could compute the old
    // identity's cache keys after the item changed.
    identity::record(label, &identity)?;
    OktaAccount::store(keychain.as_ref(), name, &creds)?;
    crate::notice!(
        "Stored Okta credentials for {username} at {} in the {} keychain (item {}).",
        creds.domain,
        keychain.backend().name(),
        okta::credentials_item(name)
    );
    if let Some(previous) = previous.filter(|p| *p != identity) {
        let forgotten = forget_identity(keychain.as_ref(), label)?;
        crate::notice!(
            "Okta account '{label}' was {}: forgot {} of that identity, so none of it is used for or sent to {}.",
            previous.describe(),
            forgotten,
            identity.describe()
        );
    }
    Ok(0)
}

/// Forgets everything of the account `label` that belongs to the identity it stood for: the
/// Okta session, the remembered device, the OAuth tokens, the org document and the cached AWS
/// credentials of its logins. (Locally only: its sessions and tokens end at their expiry.)
/// Returns what there was, for the message.
fn forget_identity(keychain: &dyn Keychain, label: &str) -> Result<String> {
    let cache = Cache::new(keychain);
    let mut gone = Vec::new();
    if cache.forget_okta_session(label)? {
        gone.push("the Okta session".to_string());
    }
    if okta::session::forget_device_token(keychain, label)? {
        gone.push("the remembered device".to_string());
    }
    if keychain.delete(&okta::oie::tokens_item(label))? {
        gone.push("the OAuth tokens".to_string());
    }
    if keychain.delete(&okta::oie::detect::pipeline_item(label))? {
        gone.push("the org document".to_string());
    }
    let credentials = cache.clear_account_credentials(label)?;
    if credentials > 0 {
        gone.push(format!("{credentials} cached credential set(s)"));
    }
    Ok(match gone.as_slice() {
        [] => "nothing (none was cached)".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    })
}
