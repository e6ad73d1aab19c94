//! The async runtime of a cold path: one thread, built only when a request must be made (the
//! warm path never builds one).

/// A current-thread runtime with I/O and timers.
pub fn current_thread() -> crate::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| crate::Error::io("cannot start the async runtime", e))
}
