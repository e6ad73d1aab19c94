use super::{credential_env, Global};
use crate::{Error, Result};
use std::ffi::OsString;
use std::process::Command;

#[derive(Debug, clap::Args)]
pub struct Args {
    profile: String,
    /// The command and its arguments (default: $SHELL).
    #[arg(last = true)]
    command: Vec<OsString>,
}

pub fn run(global: &Global, args: Args) -> Result<i32> {
    let (chain, creds) = global.credentials(&args.profile)?;
    let mut argv = args.command.into_iter();
    let program = argv
        .next()
        .or_else(|| std::env::var_os("SHELL"))
        .unwrap_or_else(|| OsString::from(if cfg!(windows) { "cmd.exe" } else { "/bin/sh" }));
    let mut command = Command::new(&program);
    command.args(argv);
    let (vars, remove) = credential_env(&chain, &creds);
    for name in remove {
        command.env_remove(name);
    }
    command.envs(vars);
    tracing::debug!(program = %program.to_string_lossy(), "exec");
    drop(creds);
    run_command(command, &program.to_string_lossy())
}

/// On Unix the command replaces this process: signals reach it directly and its exit code
/// is the exit code. Elsewhere we wait for it and pass its code on.
#[cfg(unix)]
fn run_command(mut command: Command, name: &str) -> Result<i32> {
    use std::os::unix::process::CommandExt;
    let err = command.exec();
    Err(Error::Exec {
        command: name.to_string(),
        message: err.to_string(),
    })
}

#[cfg(not(unix))]
fn run_command(mut command: Command, name: &str) -> Result<i32> {
    let status = command.status().map_err(|e| Error::Exec {
        command: name.to_string(),
        message: e.to_string(),
    })?;
    Ok(status.code().unwrap_or(1))
}
