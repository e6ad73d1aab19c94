use super::Global;
use crate::cache::{Cache, Index};
use crate::Result;
use chrono::Utc;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// What is cached, for which profile, until when (never the secrets).
    List {
        #[command(flatten)]
        keychain: super::KeychainFlags,
    },
    /// Delete cached AWS credentials (of one profile, or all); the Okta session stays.
    Clear {
        #[arg(add = clap_complete::engine::ArgValueCompleter::new(super::completion::profiles))]
        profile: Option<String>,
        #[command(flatten)]
        keychain: super::KeychainFlags,
    },
}

impl Command {
    pub fn keychain(&self) -> &super::KeychainFlags {
        match self {
            Command::List { keychain } | Command::Clear { keychain, .. } => keychain,
        }
    }
}

pub fn run(global: &Global, command: Command) -> Result<i32> {
    match command {
        Command::List { .. } => list(global),
        Command::Clear { profile, .. } => {
            let keychain = global.keychain()?;
            let removed = Cache::new(keychain.as_ref()).clear_credentials(profile.as_deref())?;
            crate::notice!(
                "Cleared {removed} cached credential set(s){} from the {} keychain.",
                profile
                    .map(|p| format!(" of profile {p}"))
                    .unwrap_or_default(),
                keychain.backend().name()
            );
            Ok(0)
        }
    }
}

fn list(global: &Global) -> Result<i32> {
    let backend = global.backend()?.name();
    let index = Index::load();
    let now = Utc::now();
    let mut rows = vec![[
        "PROFILE".to_string(),
        "ROLE".to_string(),
        "EXPIRES".to_string(),
    ]];
    let entries = index.credentials_of(backend);
    for entry in entries {
        let left = entry.expiration - now;
        let when = if left.num_seconds() <= 0 {
            format!(
                "{} (expired)",
                crate::credentials::rfc3339(&entry.expiration)
            )
        } else {
            format!(
                "{} (in {}m)",
                crate::credentials::rfc3339(&entry.expiration),
                left.num_minutes()
            )
        };
        rows.push([entry.profile.clone(), entry.role_arn.clone(), when]);
    }
    let mut out = super::table(&rows);
    for session in index.sessions.values().filter(|s| s.backend == backend) {
        out.push_str(&format!(
            "Okta session of account '{}' (stored {})\n",
            session.account,
            crate::credentials::rfc3339(&session.stored_at)
        ));
    }
    print!("{out}");
    Ok(0)
}
