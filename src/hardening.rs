//! Process hardening at start-up, as ssh-agent does: aws-okta holds the Okta password, session
//! cookies and AWS keys in memory, so no core file may be written and no other process of the
//! same user may attach a debugger or read our memory through `/proc/<pid>/mem`.
//!
//! * `RLIMIT_CORE` 0: a crash writes no core file.
//! * Linux: `prctl(PR_SET_DUMPABLE, 0)`: also makes `/proc/<pid>/{mem,environ,maps}` and
//!   `ptrace` need `CAP_SYS_PTRACE` (the same user no longer suffices).
//!
//! A command run by `exec` gets the user's own core limit back (`restore_in_child`); the
//! kernel resets "dumpable" at `execve` by itself.
use std::sync::OnceLock;

#[cfg(unix)]
static ORIGINAL_CORE_LIMIT: OnceLock<libc::rlimit> = OnceLock::new();

/// Applies the hardening; failures are logged (an unusual kernel or sandbox), not fatal.
pub fn apply() {
    #[cfg(unix)]
    {
        let mut original = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit/setrlimit with a valid resource and a pointer to a live struct.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_CORE, &mut original) == 0 {
                let _ = ORIGINAL_CORE_LIMIT.set(original);
                let none = libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: original.rlim_max,
                };
                if libc::setrlimit(libc::RLIMIT_CORE, &none) != 0 {
                    tracing::debug!("cannot set RLIMIT_CORE to 0");
                }
            }
        }
    }
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_DUMPABLE and a constant argument.
    unsafe {
        if libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 {
            tracing::debug!("cannot clear the dumpable flag");
        }
    }
    tracing::debug!(
        dumpable = dumpable(),
        core_limit = core_limit(),
        "process hardening"
    );
}

/// `prctl(PR_GET_DUMPABLE)` (Linux), for `--debug` and tests.
fn dumpable() -> i32 {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl(PR_GET_DUMPABLE) takes no pointer.
    return unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) };
    #[cfg(not(target_os = "linux"))]
    -1
}

fn core_limit() -> i64 {
    #[cfg(unix)]
    {
        let mut now = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit with a valid resource and a pointer to a live struct.
        if unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut now) } == 0 {
            return now.rlim_cur as i64;
        }
    }
    -1
}

/// Gives a command we start the core limit the user had before `apply`.
pub fn restore_in_child(command: &mut std::process::Command) {
    #[cfg(unix)]
    if let Some(original) = ORIGINAL_CORE_LIMIT.get().copied() {
        use std::os::unix::process::CommandExt;
        // SAFETY: setrlimit is async-signal-safe and touches no memory of the parent.
        unsafe {
            command.pre_exec(move || {
                libc::setrlimit(libc::RLIMIT_CORE, &original);
                Ok(())
            });
        }
    }
    #[cfg(not(unix))]
    let _ = command;
}

/// aws-okta's own secrets and the ways to them: a command we start gets AWS credentials (if
/// any), nothing else. (The passphrase command and file are not secret themselves, but they
/// open the file keychain, which holds the Okta password.)
pub const HIDDEN_FROM_CHILD: &[&str] = &[
    crate::keychain::file::PASSPHRASE_ENV,
    crate::keychain::file::PASSPHRASE_FILE_ENV,
    crate::keychain::file::PASSPHRASE_COMMAND_ENV,
    "AWS_OKTA_WEBAUTHN_SOFT_TOKEN",
];

/// Readies a command we start: without [`HIDDEN_FROM_CHILD`], with the user's core limit.
pub fn prepare_child(command: &mut std::process::Command) {
    for variable in HIDDEN_FROM_CHILD {
        command.env_remove(variable);
    }
    restore_in_child(command);
}
