//! `aws-okta each PATTERN... -- CMD`: one command in many accounts. The Okta login happens once,
//! up front (per Okta account), before any command starts; the other profiles then find the
//! hub session in the cache and cost one AssumeRole each. Commands run in parallel (`-j`),
//! each with the environment `exec` would give it, their output prefixed with the profile.
use super::{credential_env, Global};
use crate::config::{select_profiles, Chain};
use crate::credentials::Credentials;
use crate::keychain::Keychain;
use crate::provider::{self, LoginOptions};
use crate::{terminal, Error, Result};
use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex};

/// The exit code is the number of failed profiles, capped where shells' own codes begin.
const MAX_FAILED_EXIT: usize = 125;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Profile names or shell-style globs (`prod-*`, `*-readonly`, `acct-[0-4]`): quote them.
    #[arg(value_name = "PATTERN", required_unless_present = "team")]
    patterns: Vec<String>,
    /// The profiles of a team's block that `config init` installed (`# BEGIN aws-okta team
    /// NAME`); with patterns, the team's profiles that match. Repeatable.
    #[arg(long, value_name = "NAME")]
    team: Vec<String>,
    /// How many commands run at once.
    #[arg(short = 'j', long = "jobs", value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..))]
    jobs: u16,
    /// One JSON object per output line (`{"profile","stream","line"}`) and one per profile at
    /// its end (`{"profile","exit"}`, with `"error"` when aws-okta could not run it).
    #[arg(long)]
    json: bool,
    /// Ignore cached credentials and the Okta session: log in afresh (once).
    #[arg(long)]
    no_cache: bool,
    #[command(flatten)]
    flags: super::CredentialFlags,
    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    command: Vec<OsString>,
}

impl Args {
    pub fn flags(&self) -> &super::CredentialFlags {
        &self.flags
    }
}

/// One profile's run.
struct Job {
    profile: String,
    chain: Chain,
    /// Credentials the up-front login already got.
    creds: Option<Credentials>,
}

/// How a profile ended.
#[derive(Debug, Clone)]
enum Outcome {
    /// The command ran and exited with this code (128 + signal when a signal ended it).
    Exited(i32),
    /// aws-okta could not run it: no credentials, or the command would not start.
    Failed { exit: i32, message: String },
    /// Interrupted before it started.
    NotStarted,
}

impl Outcome {
    fn failed(e: &Error) -> Outcome {
        Outcome::Failed {
            exit: e.exit_code(),
            message: e.to_string(),
        }
    }

    fn ok(&self) -> bool {
        matches!(self, Outcome::Exited(0))
    }
}

pub fn run(global: &Global, args: Args) -> Result<i32> {
    let cfg = global.load_config()?;
    let profiles = select_profiles(&cfg, &args.patterns, &args.team)?;
    let out = Arc::new(Printer::new(args.json, &profiles));

    // Profiles whose config does not resolve fail alone; the others go on.
    let mut jobs = Vec::new();
    for profile in &profiles {
        match Chain::resolve(&cfg, profile) {
            Ok(chain) => jobs.push(Job {
                profile: profile.clone(),
                chain,
                creds: None,
            }),
            Err(e) => out.finish(profile, &Outcome::failed(&e)),
        }
    }
    let mut failed = profiles.len() - jobs.len();

    let keychain: Arc<dyn Keychain> = Arc::from(global.keychain()?);
    let options = global.login_options(args.no_cache)?;
    // The login, once per Okta account, while the terminal is still ours to prompt on.
    let (mut jobs, refused) = log_in_first(jobs, keychain.as_ref(), &options);
    for (profile, outcome) in refused {
        out.finish(&profile, &outcome);
        failed += 1;
    }
    // The others only read the cache and the Okta session: a login that would need typing
    // fails for its profile instead of prompting over the others' output.
    terminal::hand_over(
        "the commands of `aws-okta each`",
        "aws-okta exec PROFILE -- true",
    );
    let later = LoginOptions {
        no_cache: false,
        ..options
    };
    let stop = Stop::install();
    let queue = Arc::new(Mutex::new(jobs.drain(..).collect::<VecDeque<Job>>()));
    let failures = Arc::new(Mutex::new(0usize));
    let workers: Vec<_> = (0..args.jobs)
        .map(|_| {
            let queue = queue.clone();
            let keychain = keychain.clone();
            let later = later.clone();
            let command = args.command.clone();
            let out = out.clone();
            let stop = stop.clone();
            let failures = failures.clone();
            std::thread::spawn(move || loop {
                let Some(job) = queue.lock().unwrap_or_else(|p| p.into_inner()).pop_front() else {
                    return;
                };
                let outcome = if stop.stopped() {
                    Outcome::NotStarted
                } else {
                    run_one(&job, keychain.as_ref(), &later, &command, &out, &stop)
                };
                out.finish(&job.profile, &outcome);
                if !outcome.ok() {
                    *failures.lock().unwrap_or_else(|p| p.into_inner()) += 1;
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
    let failed = failed + *failures.lock().unwrap_or_else(|p| p.into_inner());
    out.summary(profiles.len(), failed, stop.signal());
    if let Some(signal) = stop.signal() {
        return Ok(128 + signal);
    }
    Ok(failed.min(MAX_FAILED_EXIT) as i32)
}

/// Gets the credentials of one profile per Okta account before anything runs in parallel, so
/// the account's one login (password, push) happens once and the rest find its session. When
/// that profile fails for a reason of its own (a role Okta does not offer, an STS refusal), the
/// next profile of the account tries; when the login itself fails, no other profile of the
/// account tries again (a wrong password must not be posted once per profile). Returns the
/// profiles to run and the outcomes of those that failed here.
fn log_in_first(
    jobs: Vec<Job>,
    keychain: &dyn Keychain,
    options: &LoginOptions,
) -> (Vec<Job>, Vec<(String, Outcome)>) {
    let mut ready: Vec<Job> = Vec::new();
    let mut refused: Vec<(String, Outcome)> = Vec::new();
    let mut done: Vec<String> = Vec::new(); // accounts logged in
    let mut broken: Vec<(String, i32, String)> = Vec::new(); // accounts whose login failed
    for mut job in jobs {
        let account = job.chain.okta.account_label().to_string();
        if let Some((_, exit, why)) = broken.iter().find(|(a, _, _)| *a == account) {
            let message = format!(
                "not run: the Okta login of account '{account}' failed for an earlier profile ({why})"
            );
            refused.push((
                job.profile,
                Outcome::Failed {
                    exit: *exit,
                    message,
                },
            ));
            continue;
        }
        if done.contains(&account) {
            ready.push(job);
            continue;
        }
        match provider::credentials(&job.chain, keychain, options) {
            Ok(creds) => {
                job.creds = Some(creds);
                done.push(account);
                ready.push(job);
            }
            Err(e) => {
                if !concerns_one_profile(&e) {
                    broken.push((account, e.exit_code(), e.to_string()));
                }
                refused.push((job.profile, Outcome::failed(&e)));
            }
        }
    }
    (ready, refused)
}

/// Errors that say something about one profile's roles, not about the Okta login.
fn concerns_one_profile(e: &Error) -> bool {
    matches!(
        e,
        Error::Config(_) | Error::Saml(_) | Error::Sts { .. } | Error::Federation(_)
    )
}

/// Credentials (cache, else the hub session, else the Okta session), then the command.
fn run_one(
    job: &Job,
    keychain: &dyn Keychain,
    options: &LoginOptions,
    argv: &[OsString],
    out: &Arc<Printer>,
    stop: &Stop,
) -> Outcome {
    let creds = match &job.creds {
        Some(c) => c.clone(),
        None => match provider::credentials(&job.chain, keychain, options) {
            Ok(c) => c,
            Err(e) => return Outcome::failed(&e),
        },
    };
    let mut command = Command::new(&argv[0]);
    command.args(&argv[1..]);
    crate::hardening::prepare_child(&mut command);
    let (vars, remove) = credential_env(&job.chain, &creds);
    for variable in remove {
        command.env_remove(variable);
    }
    command
        .envs(vars)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    drop(creds);
    // Its own process group: Ctrl-C reaches us, and we stop each command with everything
    // it started.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let name = argv[0].to_string_lossy().into_owned();
    let mut child = match stop.spawn(&mut command) {
        Ok(child) => child,
        Err(_) if stop.stopped() => return Outcome::NotStarted,
        Err(e) => {
            return Outcome::Failed {
                exit: crate::error::exit::EXEC,
                message: format!("cannot run {name}: {e}"),
            }
        }
    };
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .zip([Stream::Stdout, Stream::Stderr])
    .filter_map(|(pipe, stream)| pipe.map(|p| (p, stream)))
    .map(|(pipe, stream)| {
        let out = out.clone();
        let profile = job.profile.clone();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(pipe);
            let mut line = Vec::new();
            while matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0) {
                let text = String::from_utf8_lossy(&line);
                out.line(&profile, stream, text.trim_end_matches(['\n', '\r']));
                line.clear();
            }
        })
    })
    .collect();
    let status = child.wait();
    stop.forget(child.id());
    for reader in readers {
        let _ = reader.join();
    }
    match status {
        Ok(status) => {
            #[cfg(unix)]
            if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
                return Outcome::Exited(128 + signal);
            }
            Outcome::Exited(status.code().unwrap_or(1))
        }
        Err(e) => Outcome::Failed {
            exit: 1,
            message: format!("cannot wait for {name}: {e}"),
        },
    }
}

#[derive(Debug, Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

/// Writes whole lines, one at a time, prefixed with the profile (or as JSON).
struct Printer {
    json: bool,
    width: usize,
    lock: Mutex<()>,
}

impl Printer {
    fn new(json: bool, profiles: &[String]) -> Printer {
        let width = profiles.iter().map(|p| p.len()).max().unwrap_or(0).min(40);
        Printer {
            json,
            width,
            lock: Mutex::new(()),
        }
    }

    fn line(&self, profile: &str, stream: Stream, line: &str) {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        if self.json {
            let name = match stream {
                Stream::Stdout => "stdout",
                Stream::Stderr => "stderr",
            };
            let object = serde_json::json!({"profile": profile, "stream": name, "line": line});
            let _ = writeln!(std::io::stdout().lock(), "{object}");
            return;
        }
        let text = format!("{profile:width$} | {line}\n", width = self.width);
        let _ = match stream {
            Stream::Stdout => std::io::stdout().lock().write_all(text.as_bytes()),
            Stream::Stderr => std::io::stderr().lock().write_all(text.as_bytes()),
        };
    }

    /// How the profile ended: a JSON object, or (text) a line on stderr when it failed.
    fn finish(&self, profile: &str, outcome: &Outcome) {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        if self.json {
            let object = match outcome {
                Outcome::Exited(code) => serde_json::json!({"profile": profile, "exit": code}),
                Outcome::Failed { exit, message } => {
                    serde_json::json!({"profile": profile, "exit": exit, "error": message})
                }
                Outcome::NotStarted => {
                    serde_json::json!({"profile": profile, "exit": null, "error": "not started: interrupted"})
                }
            };
            let _ = writeln!(std::io::stdout().lock(), "{object}");
            return;
        }
        let what = match outcome {
            Outcome::Exited(0) => return,
            Outcome::Exited(code) => format!("exit {code}"),
            Outcome::Failed { message, .. } => format!("aws-okta: {message}"),
            Outcome::NotStarted => "not started: interrupted".to_string(),
        };
        let _ = writeln!(
            std::io::stderr().lock(),
            "{profile:width$} | {what}",
            width = self.width
        );
    }

    fn summary(&self, total: usize, failed: usize, signal: Option<i32>) {
        if self.json {
            return;
        }
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let interrupted = if signal.is_some() {
            " (interrupted)"
        } else {
            ""
        };
        let _ = writeln!(
            std::io::stderr().lock(),
            "aws-okta each: {} of {total} profile{} ok, {failed} failed{interrupted}",
            total - failed,
            if total == 1 { "" } else { "s" },
        );
    }
}

/// Ctrl-C and termination: no new command starts, and every running one (its whole process
/// group) gets the signal.
#[derive(Clone)]
struct Stop {
    stopped: Arc<AtomicBool>,
    signal: Arc<AtomicI32>,
    /// Process ids (= process groups) of the running commands.
    running: Arc<Mutex<Vec<u32>>>,
}

impl Stop {
    fn install() -> Stop {
        let stop = Stop {
            stopped: Arc::new(AtomicBool::new(false)),
            signal: Arc::new(AtomicI32::new(0)),
            running: Arc::new(Mutex::new(Vec::new())),
        };
        #[cfg(unix)]
        {
            use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
            if let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
            {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    for signal in signals.forever() {
                        stop.stopped.store(true, Ordering::SeqCst);
                        let _ = stop.signal.compare_exchange(
                            0,
                            signal,
                            Ordering::SeqCst,
                            Ordering::SeqCst,
                        );
                        let running = stop.running.lock().unwrap_or_else(|p| p.into_inner());
                        for pid in running.iter() {
                            // SAFETY: kill(2) on the process group of a child we started.
                            unsafe {
                                libc::kill(-(*pid as libc::pid_t), signal);
                            }
                        }
                    }
                });
            }
        }
        stop
    }

    fn stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    fn signal(&self) -> Option<i32> {
        Some(self.signal.load(Ordering::SeqCst)).filter(|s| *s != 0)
    }

    /// Starts the command unless stopping; registered before a signal can miss it.
    fn spawn(&self, command: &mut Command) -> std::io::Result<std::process::Child> {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if self.stopped() {
            return Err(std::io::Error::other("interrupted"));
        }
        let child = command.spawn()?;
        running.push(child.id());
        Ok(child)
    }

    fn forget(&self, pid: u32) {
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|p| *p != pid);
    }
}
