use super::env_format::{Exported, Format};
use super::{credential_env, Global};
use crate::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    target: super::PickProfileArgs,
    /// Output syntax (the names of `aws configure export-credentials --format`): env (POSIX
    /// `export`), env-no-export (`docker --env-file`), fish, powershell, windows-cmd, process.
    #[arg(long, value_enum, default_value_t = Format::Env, value_name = "FORMAT")]
    format: Format,
}

impl Args {
    pub fn flags(&self) -> &super::CredentialFlags {
        &self.target.flags
    }
}

pub fn run(global: &Global, args: Args) -> Result<i32> {
    let target = args.target.resolve("env")?;
    let (chain, creds) = global.credentials(&target)?;
    let (vars, remove) = credential_env(&chain, &creds);
    let out = args.format.formatter().render(&Exported {
        vars: &vars,
        remove,
        creds: &creds,
    })?;
    print!("{out}");
    Ok(0)
}
