use super::env_format::{Exported, Format};
use super::{credential_env, Global};
use crate::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    target: super::ProfileArgs,
    /// Output syntax (the names of `aws configure export-credentials --format`): env (POSIX
    /// `export`), env-no-export (`docker --env-file`), fish, powershell, windows-cmd, process.
    #[arg(long, value_enum, default_value_t = Format::Env, value_name = "FORMAT")]
    format: Format,
}

pub fn run(global: &Global, args: Args) -> Result<i32> {
    let (chain, creds) = global.credentials(&args.target)?;
    let (vars, remove) = credential_env(&chain, &creds);
    let out = args.format.formatter().render(&Exported {
        vars: &vars,
        remove,
        creds: &creds,
    })?;
    print!("{out}");
    Ok(0)
}
