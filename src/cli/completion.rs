use crate::config::ConfigFile;
use crate::{Error, Result};
use clap_complete::engine::CompletionCandidate;
use clap_complete::env::Shells;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// bash, zsh, fish or powershell (elvish works too).
    shell: String,
}

/// Prints the registration script; the shell then asks `aws-okta` itself for completions
/// (`COMPLETE=<shell> aws-okta -- …`, handled first thing in `main`), so profile names come
/// from the current config.
pub fn run(args: Args) -> Result<i32> {
    let shells = Shells::builtins();
    let shell = shells.completer(&args.shell).ok_or_else(|| {
        Error::Usage(format!(
            "unknown shell '{}': use one of {}",
            args.shell,
            shells.names().collect::<Vec<_>>().join(", ")
        ))
    })?;
    let name = crate::cli::command().get_name().to_string();
    let mut out = Vec::new();
    shell
        .write_registration("COMPLETE", &name, &name, &name, &mut out)
        .map_err(|e| Error::io("cannot write the completion script", e))?;
    print!("{}", String::from_utf8_lossy(&out));
    Ok(0)
}

/// Profile names of the user's config for shell completion (none when it cannot be read).
pub fn profiles(current: &std::ffi::OsStr) -> Vec<CompletionCandidate> {
    let prefix = current.to_string_lossy();
    ConfigFile::load(&crate::paths::config_file())
        .map(|cfg| {
            cfg.profile_names()
                .into_iter()
                .filter(|p| p.starts_with(prefix.as_ref()))
                .map(CompletionCandidate::new)
                .collect()
        })
        .unwrap_or_default()
}
