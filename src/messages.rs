//! One channel for what aws-okta tells the person at the terminal besides a command's output
//! (after ripgrep's `messages.rs`): warnings (something to fix; the command still works),
//! notices (what is happening: a code was sent, another login is being waited for) and the
//! final error line. All of it goes to stderr, so stdout stays the command's output
//! (`cred-process` JSON, `env` lines, `login --stdout`). The library never calls `eprintln!`
//! itself: a quieter mode, colour or structured messages later is an edit here only.
use std::fmt;

/// `warning: …`: the command goes on, but the user should fix something.
pub fn warning(message: fmt::Arguments<'_>) {
    eprintln!("warning: {message}");
}

/// A line about progress or a step the user takes (a code was sent, touch the key).
pub fn notice(message: fmt::Arguments<'_>) {
    eprintln!("{message}");
}

/// The one line a failed command ends with (`main` only).
pub fn error(err: &dyn fmt::Display) {
    eprintln!("aws-okta: {err}");
}

/// `warning!("...", args)`: see [`warning`].
#[macro_export]
macro_rules! warning {
    ($($arg:tt)*) => { $crate::messages::warning(format_args!($($arg)*)) };
}

/// `notice!("...", args)`: see [`notice`].
#[macro_export]
macro_rules! notice {
    ($($arg:tt)*) => { $crate::messages::notice(format_args!($($arg)*)) };
}
