use super::{credential_env, Global};
use crate::config::Chain;
use crate::credentials::Credentials;
use crate::keychain::Keychain;
use crate::provider;
use crate::{server, terminal, Error, Result};
use std::ffi::OsString;
use std::process::Command;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    target: super::PickProfileArgs,
    /// Serve refreshing credentials to the command from a local endpoint (ECS style)
    /// instead of fixed environment variables: for commands that outlive a session. Always
    /// so for the shell started without a command.
    #[arg(long)]
    server: bool,
    /// The command and its arguments (default: $SHELL, served by the credential endpoint,
    /// so it keeps working past the first session's expiry).
    #[arg(last = true)]
    command: Vec<OsString>,
}

impl Args {
    pub fn flags(&self) -> &super::CredentialFlags {
        &self.target.flags
    }
}

pub fn run(global: &Global, args: Args) -> Result<i32> {
    let target = args.target.resolve("exec")?;
    let chain = global.chain(&global.load_config()?, &target)?;
    // One keychain for the first credentials and for the server's later refreshes: whatever
    // it had to ask to open (a file keychain's passphrase) is asked now, while the terminal
    // is still ours, not on the server thread.
    let keychain = global.keychain()?;
    let creds = global.chain_credentials_in(&chain, keychain.as_ref(), target.no_cache)?;
    // A shell is interactive and lives for hours: it gets the endpoint, whose credentials
    // are refreshed from the cache and the Okta session, instead of variables that expire.
    let server = args.server || args.command.is_empty();
    let mut argv = args.command.into_iter();
    let program = argv
        .next()
        .or_else(|| std::env::var_os("SHELL"))
        .unwrap_or_else(|| OsString::from(if cfg!(windows) { "cmd.exe" } else { "/bin/sh" }));
    let mut command = Command::new(&program);
    command.args(argv);
    crate::hardening::prepare_child(&mut command);
    let name = program.to_string_lossy().into_owned();
    tracing::debug!(program = %name, server, "exec");
    if server {
        // What the user can run in another terminal when a login needs them.
        let instead = match &target.role {
            Some(role) => format!("aws-okta exec --role '{}' -- true", role.role),
            None => format!("aws-okta exec {} -- true", chain.target),
        };
        return run_with_server(global, chain, keychain, creds, command, &name, &instead);
    }
    drop(keychain);
    let (vars, remove) = credential_env(&chain, &creds);
    for variable in remove {
        command.env_remove(variable);
    }
    command.envs(vars);
    drop(creds);
    replace_process(command, &name)
}

/// On Unix the command replaces this process: signals reach it directly and its exit code
/// is the exit code. Elsewhere we wait for it and pass its code on.
#[cfg(unix)]
fn replace_process(mut command: Command, name: &str) -> Result<i32> {
    use std::os::unix::process::CommandExt;
    let err = command.exec();
    Err(Error::Exec {
        command: name.to_string(),
        message: err.to_string(),
    })
}

#[cfg(not(unix))]
fn replace_process(command: Command, name: &str) -> Result<i32> {
    wait_for(command, name)
}

/// Variables that would shadow the credential endpoint in the SDKs' provider chains.
const STATIC_CREDENTIALS: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
];

/// The command runs as our child while a loopback endpoint serves it fresh credentials from
/// the chain (cache, then hub session, then Okta only when Okta itself requires it). The
/// server logs in at most once at a time and never again after a failure retrying cannot fix
/// (see `server`); once the command runs, the terminal is its own and no login may prompt.
fn run_with_server(
    global: &Global,
    chain: Chain,
    keychain: Box<dyn Keychain>,
    creds: Credentials,
    mut command: Command,
    name: &str,
    instead: &str,
) -> Result<i32> {
    let (vars, remove) = credential_env(&chain, &creds);
    for variable in remove.iter().chain(STATIC_CREDENTIALS) {
        command.env_remove(variable);
    }
    command.envs(
        vars.into_iter()
            .filter(|(k, _)| !STATIC_CREDENTIALS.contains(k)),
    );
    drop(creds);

    let options = global.login_options(false)?;
    let settings = global.settings.clone();
    let endpoint = server::start(settings.expiry_window, move |attempt| match attempt {
        server::Attempt::Login => {
            provider::credentials(&chain, keychain.as_ref(), &options).map(Some)
        }
        server::Attempt::CacheOnly => provider::cached(&chain, keychain.as_ref(), &settings),
    })?;
    command
        .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", &endpoint.url)
        .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", &endpoint.token);
    // Before the command starts, so no request can arrive earlier: from here on the terminal
    // and stdin are the command's, and a login that would prompt fails with `NeedsInput`.
    terminal::hand_over(name, instead);
    wait_for(command, name)
}

/// Runs the child to completion, forwarding termination signals, and returns its exit code
/// (128 + signal when a signal ended it, as shells report it).
fn wait_for(mut command: Command, name: &str) -> Result<i32> {
    let mut child = command.spawn().map_err(|e| Error::Exec {
        command: name.to_string(),
        message: e.to_string(),
    })?;
    #[cfg(unix)]
    forward_signals(child.id());
    let status = child.wait().map_err(|e| Error::Exec {
        command: name.to_string(),
        message: e.to_string(),
    })?;
    #[cfg(unix)]
    if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
        return Ok(128 + signal);
    }
    Ok(status.code().unwrap_or(1))
}

/// SIGTERM/SIGHUP/SIGQUIT sent to us go to the child. SIGINT is only swallowed: Ctrl-C
/// already reaches the child through the terminal's process group.
#[cfg(unix)]
fn forward_signals(child: u32) {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP, SIGQUIT])
    else {
        return;
    };
    std::thread::spawn(move || {
        for signal in signals.forever() {
            if signal != SIGINT {
                // SAFETY: kill(2) with a pid we spawned and a valid signal number.
                unsafe {
                    libc::kill(child as libc::pid_t, signal);
                }
            }
        }
    });
}
