//! `exec --server`: a credential endpoint on 127.0.0.1 in the style of the ECS container
//! credentials provider, so long commands get fresh credentials instead of expiring ones.
//! Every AWS SDK reads `AWS_CONTAINER_CREDENTIALS_FULL_URI` + `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
//!
//! SDK requests must never drive logins one for one: they come in bursts (every client, every
//! retry of every client), and a login that fails the same way each time (a wrong password, a
//! rejected push) would lock the Okta account or flood the phone. So:
//! - one refresher thread owns the credential source and runs it at most once at a time;
//!   requests are answered from the last good credentials in memory, wait for the refresh in
//!   flight, or get the still-valid old credentials meanwhile ([`Latch`]);
//! - a refresh starts `margin` before expiry, on the first request inside it. Nothing refreshes
//!   while the command asks for nothing: a push nobody expects is how users learn to approve
//!   pushes blindly;
//! - each failure is remembered and answered according to what trying again can achieve
//!   ([`Failure`]): nothing that failed for good is ever sent to Okta again in this run.
use crate::credentials::Credentials;
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Serialize;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tiny_http::{Header, Request, Response, Server};

/// Every line the server writes to stderr starts with this.
const PREFIX: &str = "aws-okta: credential server: ";

/// Requests served at once. More than one so a request for still-valid credentials is not
/// stuck behind one that waits for a login; few, because they only wait on each other.
const WORKERS: usize = 4;

pub struct CredentialServer {
    /// `http://127.0.0.1:PORT/`
    pub url: String,
    /// The bearer token a request must carry in `Authorization`.
    pub token: String,
}

/// What the refresher asks of the credential source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// The cache, else a login: `Ok(Some(..))` or an error.
    Login,
    /// The cache only, `Ok(None)` on a miss. Used after a login needed the user's input: the
    /// server sends nothing to Okta again, but picks up what a login in another terminal
    /// stored.
    CacheOnly,
}

/// When to refresh and how to back off: [`Policy::with_margin`], or shorter ones in tests.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Refresh when less than this is left (`AWS_OKTA_EXPIRY_WINDOW`, 5 min by default: the
    /// cache's own window, so a refresh finds the cache expiring too and really logs in).
    pub margin: Duration,
    /// The least validity worth handing out while a refresh runs or after one failed.
    pub min_left: Duration,
    /// Credentials are never refreshed sooner than this after they arrived, whatever their
    /// lifetime or the clocks say: with credentials shorter-lived than `margin` (or a clock
    /// ahead of AWS's), "refresh when less than `margin` is left" would be every request.
    pub min_interval: Duration,
    /// The wait after a transient failure, doubled after each further one up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// How long a request waits for a refresh in flight before it gets a 503 (SDKs retry).
    pub max_wait: Duration,
}

impl Policy {
    /// The policy of a run: refresh `margin` (`AWS_OKTA_EXPIRY_WINDOW`) before expiry.
    pub fn with_margin(margin: Duration) -> Policy {
        Policy {
            margin,
            min_left: Duration::from_secs(60),
            min_interval: Duration::from_secs(60),
            backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(300),
            max_wait: Duration::from_secs(60),
        }
    }
}

/// The last failed attempt, when no attempt succeeded since.
#[derive(Debug)]
enum Failure {
    /// Trying again cannot help (not [`Error::is_transient`]): a rejected password or MFA
    /// answer, an account state, a setup problem. Answered until the process ends; the source
    /// is never run again, so nothing more reaches Okta.
    Fatal(String),
    /// A login needs the user's input, which nobody can give here ([`Error::NeedsInput`]).
    /// From now on only the cache is read ([`Attempt::CacheOnly`]), until a login elsewhere
    /// fills it: the password is not sent again just to reach the same prompt.
    NeedsInput(String),
    /// May pass by itself (network, rate limit, 5xx): no new attempt before `retry_at`.
    Transient {
        message: String,
        retry_at: Instant,
        backoff: Duration,
    },
}

/// The answer to a request that gets no credentials: HTTP status and the ECS error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

/// Credentials in memory (zeroized when dropped, as every [`Credentials`]) and when to
/// refresh them.
struct Held {
    creds: Credentials,
    refresh_at: DateTime<Utc>,
}

impl Held {
    /// Refresh `margin` before expiry; but credentials that arrive with less than that left
    /// (short-lived, or a clock ahead of AWS's) are kept for half their remaining life, and
    /// any for at least `min_interval`, so a refresh never follows a refresh.
    fn new(creds: Credentials, policy: &Policy) -> Held {
        let now = Utc::now();
        let span = |d: Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
        let half_life = ((creds.expiration - now) / 2).max(span(policy.min_interval));
        let refresh_at = (creds.expiration - span(policy.margin)).max(now + half_life);
        Held { creds, refresh_at }
    }
}

#[derive(Default)]
struct State {
    held: Option<Held>,
    /// The refresher has been asked to run, or is running: nobody else starts one.
    in_flight: bool,
    failure: Option<Failure>,
}

impl State {
    /// Whether a request may start a refresh now.
    fn may_start(&self) -> bool {
        match &self.failure {
            None | Some(Failure::NeedsInput(_)) => true,
            Some(Failure::Transient { retry_at, .. }) => Instant::now() >= *retry_at,
            Some(Failure::Fatal(_)) => false,
        }
    }

    fn refusal(&self) -> Refusal {
        let (status, code, message) = match &self.failure {
            Some(Failure::Fatal(m)) | Some(Failure::NeedsInput(m)) => {
                (500, "CredentialsUnavailable", m.clone())
            }
            Some(Failure::Transient { message, .. }) => {
                (503, "ServiceUnavailable", message.clone())
            }
            None => (
                503,
                "ServiceUnavailable",
                "no credentials yet: retry".to_string(),
            ),
        };
        Refusal {
            status,
            code,
            message,
        }
    }
}

struct Shared {
    state: Mutex<State>,
    /// Signalled on every change of `state`: wakes the refresher and waiting requests.
    changed: Condvar,
    policy: Policy,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves a consistent state (every update is
        // a single assignment): keep serving.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The single-flight, failure-latching front of a credential source: what every request asks.
#[derive(Clone)]
pub struct Latch {
    shared: Arc<Shared>,
}

impl Latch {
    /// Starts the refresher thread, which owns `source` (so it is never run twice at once)
    /// and writes what the user must know through `report`, once per failure.
    pub fn spawn(
        policy: Policy,
        source: impl FnMut(Attempt) -> Result<Option<Credentials>> + Send + 'static,
        report: impl Fn(&str) + Send + 'static,
    ) -> Result<Latch> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            policy,
        });
        let refresher = shared.clone();
        std::thread::Builder::new()
            .name("credential-refresher".into())
            .spawn(move || refresh_forever(&refresher, source, report))
            .map_err(|e| Error::io("cannot start the credential refresher", e))?;
        Ok(Latch { shared })
    }

    /// Credentials for one request: from memory while fresh; else the request starts the
    /// refresh (unless one runs, or the last failure forbids it) and gets the old credentials
    /// while they are still worth having, or waits for the refresh. A request starts at most
    /// one attempt, so a failure is answered, not retried.
    pub fn answer(&self) -> std::result::Result<Credentials, Refusal> {
        let policy = &self.shared.policy;
        let min_left = chrono::Duration::from_std(policy.min_left).unwrap_or_default();
        let deadline = Instant::now() + policy.max_wait;
        let mut state = self.shared.lock();
        let mut joined = false;
        loop {
            let now = Utc::now();
            if let Some(held) = state.held.as_ref().filter(|h| now < h.refresh_at) {
                return Ok(held.creds.clone());
            }
            if !state.in_flight && !joined && state.may_start() {
                state.in_flight = true;
                self.shared.changed.notify_all();
            }
            // Still-valid old credentials beat a wait (or an error): the refresh runs anyway,
            // and a fatal failure does not make them any less valid.
            if let Some(held) = state
                .held
                .as_ref()
                .filter(|h| h.creds.expiration - now > min_left)
            {
                return Ok(held.creds.clone());
            }
            if !state.in_flight {
                return Err(state.refusal());
            }
            joined = true;
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Refusal {
                    status: 503,
                    code: "ServiceUnavailable",
                    message: "a login is still in progress (see the terminal): retry".into(),
                });
            }
            state = match self.shared.changed.wait_timeout(state, left) {
                Ok((s, _)) => s,
                Err(p) => p.into_inner().0,
            };
        }
    }

    #[cfg(test)]
    fn seed(&self, creds: Credentials, refresh_at: DateTime<Utc>) {
        self.shared.lock().held = Some(Held { creds, refresh_at });
    }
}

/// The refresher thread: waits until a request asks, runs the source once, records the outcome.
fn refresh_forever(
    shared: &Shared,
    mut source: impl FnMut(Attempt) -> Result<Option<Credentials>>,
    report: impl Fn(&str),
) {
    let mut state = shared.lock();
    loop {
        while !state.in_flight {
            state = shared
                .changed
                .wait(state)
                .unwrap_or_else(|p| p.into_inner());
        }
        let attempt = match state.failure {
            Some(Failure::NeedsInput(_)) => Attempt::CacheOnly,
            _ => Attempt::Login,
        };
        drop(state);
        tracing::debug!(?attempt, "credential server: refreshing");
        // A panic in a login must not leave `in_flight` set forever (every request would
        // wait for nothing): it counts as a fatal failure.
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| source(attempt))).ok();
        state = shared.lock();
        settle(&mut state, &shared.policy, attempt, outcome, &report);
        state.in_flight = false;
        shared.changed.notify_all();
    }
}

/// Records the outcome of one attempt (`None`: the source panicked) and tells the user what
/// they must know, once.
fn settle(
    state: &mut State,
    policy: &Policy,
    attempt: Attempt,
    outcome: Option<Result<Option<Credentials>>>,
    report: &impl Fn(&str),
) {
    let fatal = |state: &mut State, message: String| {
        report(&format!("{PREFIX}{message}"));
        report(&format!(
            "{PREFIX}no more Okta logins during this run: fix the problem above, then restart the command"
        ));
        state.failure = Some(Failure::Fatal(message));
    };
    match outcome {
        Some(Ok(Some(creds))) => {
            tracing::debug!(role = %creds.assumed_role_arn, expiration = %creds.expiration, "credential server: refreshed");
            if matches!(state.failure, Some(Failure::NeedsInput(_))) {
                report(&format!(
                    "{PREFIX}picked up the credentials of your other login"
                ));
            }
            state.held = Some(Held::new(creds, policy));
            state.failure = None;
        }
        // The login elsewhere has not happened yet: the message already said what to do.
        Some(Ok(None)) if attempt == Attempt::CacheOnly => {}
        Some(Ok(None)) => fatal(
            state,
            "the credential source answered without credentials (a bug)".into(),
        ),
        Some(Err(Error::NeedsInput(message))) => {
            // Said once: the state stays NeedsInput until the cache answers.
            if !matches!(state.failure, Some(Failure::NeedsInput(_))) {
                report(&format!("{PREFIX}{message}"));
            }
            state.failure = Some(Failure::NeedsInput(message));
        }
        // Reading the cache failed for a moment: still waiting for the login elsewhere, and a
        // backoff would only delay picking it up.
        Some(Err(e)) if attempt == Attempt::CacheOnly && e.is_transient() => {
            tracing::debug!(error = %e, "credential server: cache unreadable for now");
        }
        Some(Err(e)) if e.is_transient() => {
            let backoff = match &state.failure {
                Some(Failure::Transient { backoff, .. }) => (*backoff * 2).min(policy.max_backoff),
                _ => policy.backoff,
            };
            report(&format!(
                "{PREFIX}{e} (trying again in {} at the earliest)",
                humantime::format_duration(backoff)
            ));
            state.failure = Some(Failure::Transient {
                message: e.to_string(),
                retry_at: Instant::now() + backoff,
                backoff,
            });
        }
        Some(Err(e)) => fatal(state, e.to_string()),
        None => fatal(
            state,
            "the credential source failed unexpectedly (a bug: see the panic above)".into(),
        ),
    }
}

/// The ECS credentials format.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct EcsCredentials<'a> {
    access_key_id: &'a str,
    secret_access_key: &'a str,
    token: &'a str,
    expiration: String,
    role_arn: &'a str,
}

#[derive(Serialize)]
struct EcsError<'a> {
    code: &'a str,
    message: String,
}

/// Starts serving on a random loopback port; lives until the process exits. `source` runs on
/// the refresher thread only, never twice at once, and only when the credentials in memory
/// are due for a refresh (see [`Latch`]).
pub fn start(
    margin: Duration,
    source: impl FnMut(Attempt) -> Result<Option<Credentials>> + Send + 'static,
) -> Result<CredentialServer> {
    start_with(Policy::with_margin(margin), source, |line| {
        crate::notice!("{line}")
    })
}

fn start_with(
    policy: Policy,
    source: impl FnMut(Attempt) -> Result<Option<Credentials>> + Send + 'static,
    report: impl Fn(&str) + Send + 'static,
) -> Result<CredentialServer> {
    let server = Server::http("127.0.0.1:0").map_err(|e| {
        Error::io(
            "cannot start the credential server on 127.0.0.1",
            std::io::Error::other(e),
        )
    })?;
    let port = server
        .server_addr()
        .to_ip()
        .map(|a| a.port())
        .ok_or_else(|| {
            Error::io(
                "cannot start the credential server",
                std::io::Error::other("it has no TCP port"),
            )
        })?;
    let mut raw = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    let token = hex::encode(raw);
    let latch = Latch::spawn(policy, source, report)?;
    let server = Arc::new(server);
    for worker in 0..WORKERS {
        let (server, latch, expected) = (server.clone(), latch.clone(), token.clone());
        std::thread::Builder::new()
            .name(format!("credential-server-{worker}"))
            .spawn(move || {
                for request in server.incoming_requests() {
                    respond(request, &latch, &expected);
                }
            })
            .map_err(|e| Error::io("cannot start the credential server", e))?;
    }
    Ok(CredentialServer {
        url: format!("http://127.0.0.1:{port}/"),
        token,
    })
}

fn respond(request: Request, latch: &Latch, expected: &str) {
    let authorized = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Authorization"))
        .map(|h| h.value.as_str().trim())
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(v))
        .is_some_and(|v| constant_time_eq(v.as_bytes(), expected.as_bytes()));
    let (status, body) = if !authorized {
        tracing::debug!(path = %request.url(), "credential server: refused a request without the token");
        (
            401,
            error_body(
                "Unauthorized",
                "missing or wrong AWS_CONTAINER_AUTHORIZATION_TOKEN".into(),
            ),
        )
    } else {
        match latch.answer() {
            Ok(creds) => {
                tracing::debug!(role = %creds.assumed_role_arn, "credential server: served credentials");
                (200, success_body(&creds))
            }
            // Not printed here: the refresher said it once; a request is no news.
            Err(refusal) => (refusal.status, error_body(refusal.code, refusal.message)),
        }
    };
    let mut response = Response::from_data(body).with_status_code(status);
    if let Ok(header) = Header::from_bytes("Content-Type", "application/json") {
        response.add_header(header);
    }
    let _ = request.respond(response);
}

fn success_body(creds: &Credentials) -> Vec<u8> {
    serde_json::to_vec(&EcsCredentials {
        access_key_id: &creds.access_key_id,
        secret_access_key: &creds.secret_access_key,
        token: &creds.session_token,
        expiration: crate::credentials::rfc3339(&creds.expiration),
        role_arn: &creds.assumed_role_arn,
    })
    .unwrap_or_default()
}

fn error_body(code: &str, message: String) -> Vec<u8> {
    serde_json::to_vec(&EcsError { code, message }).unwrap_or_default()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;

    fn get(url: &str, token: Option<&str>) -> (u16, String) {
        let addr = url.trim_start_matches("http://").trim_end_matches('/');
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        let auth = token
            .map(|t| format!("Authorization: {t}\r\n"))
            .unwrap_or_default();
        write!(
            stream,
            "GET / HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).unwrap();
        let status = text[9..12].parse().unwrap();
        (
            status,
            text.split("\r\n\r\n").nth(1).unwrap_or("").to_string(),
        )
    }

    fn creds(id: &str, valid_for: chrono::Duration) -> Credentials {
        Credentials {
            access_key_id: id.into(),
            secret_access_key: "secret".into(),
            session_token: "session".into(),
            expiration: Utc::now() + valid_for,
            assumed_role_arn: "arn:aws:sts::1:assumed-role/r/s".into(),
        }
    }

    fn policy() -> Policy {
        Policy {
            margin: Duration::from_secs(300),
            min_left: Duration::from_secs(60),
            min_interval: Duration::from_secs(60),
            backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(1),
            max_wait: Duration::from_secs(10),
        }
    }

    /// Every line reported to stderr, for "said once" assertions.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<String>>>);

    impl Lines {
        fn reporter(&self) -> impl Fn(&str) + Send + 'static {
            let lines = self.0.clone();
            move |line| lines.lock().unwrap().push(line.to_string())
        }
        fn all(&self) -> Vec<String> {
            self.0.lock().unwrap().clone()
        }
    }

    /// Counts the source's calls (and the attempts it was asked for).
    #[derive(Clone, Default)]
    struct Calls(Arc<Mutex<Vec<Attempt>>>);

    impl Calls {
        fn note(&self, attempt: Attempt) -> usize {
            let mut calls = self.0.lock().unwrap();
            calls.push(attempt);
            calls.len()
        }
        fn count(&self) -> usize {
            self.0.lock().unwrap().len()
        }
        fn attempts(&self) -> Vec<Attempt> {
            self.0.lock().unwrap().clone()
        }
    }

    fn wait_until(what: &str, done: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(Instant::now() < deadline, "timed out waiting until {what}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn serves_ecs_credentials_only_with_the_token() {
        let calls = AtomicUsize::new(0);
        let server = start(crate::settings::DEFAULT_EXPIRY_WINDOW, move |_| {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(Some(creds(&format!("ASIA{n}"), chrono::Duration::hours(1))))
        })
        .unwrap();
        assert_eq!(server.token.len(), 64);
        let (status, body) = get(&server.url, None);
        assert_eq!(status, 401, "{body}");
        assert_eq!(get(&server.url, Some("wrong")).0, 401);
        let (status, body) = get(&server.url, Some(&server.token));
        assert_eq!(status, 200);
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            json["AccessKeyId"], "ASIA1",
            "refused requests did not call the source"
        );
        assert_eq!(json["Token"], "session");
        assert!(json["Expiration"].as_str().unwrap().ends_with('Z'));
        let (_, body) = get(&server.url, Some(&format!("Bearer {}", server.token)));
        assert!(body.contains("\"ASIA1\""), "answered from memory: {body}");
    }

    #[test]
    fn source_errors_become_500_with_a_message() {
        let lines = Lines::default();
        let server = start_with(policy(), |_| Err(Error::MfaTimeout), lines.reporter()).unwrap();
        let (status, body) = get(&server.url, Some(&server.token));
        assert_eq!(status, 500);
        assert!(body.contains("MFA timed out"), "{body}");
        assert!(body.contains("CredentialsUnavailable"), "{body}");
    }

    #[test]
    fn concurrent_requests_share_one_refresh_then_memory_answers() {
        let calls = Calls::default();
        let counted = calls.clone();
        let latch = Latch::spawn(
            policy(),
            move |attempt| {
                counted.note(attempt);
                // Slow, like a login: every request arrives while it runs.
                std::thread::sleep(Duration::from_millis(300));
                Ok(Some(creds("ASIAONE", chrono::Duration::hours(1))))
            },
            Lines::default().reporter(),
        )
        .unwrap();
        let start = Arc::new(std::sync::Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (latch, start) = (latch.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    latch.answer().map(|c| c.access_key_id.clone())
                })
            })
            .collect();
        for thread in threads {
            assert_eq!(thread.join().unwrap().unwrap(), "ASIAONE");
        }
        assert_eq!(calls.count(), 1, "one refresh for eight requests");
        for _ in 0..20 {
            latch.answer().unwrap();
        }
        assert_eq!(calls.count(), 1, "fresh credentials come from memory");
    }

    #[test]
    fn a_refresh_starts_inside_the_margin_and_old_credentials_are_served_meanwhile() {
        let (release, released) = mpsc::channel::<()>();
        let released = Mutex::new(released);
        let calls = Calls::default();
        let counted = calls.clone();
        let latch = Latch::spawn(
            policy(),
            move |attempt| {
                counted.note(attempt);
                released.lock().unwrap().recv().unwrap();
                Ok(Some(creds("ASIANEW", chrono::Duration::hours(1))))
            },
            Lines::default().reporter(),
        )
        .unwrap();
        // Three minutes left: inside the five-minute margin, still worth handing out.
        latch.seed(
            creds("ASIAOLD", chrono::Duration::minutes(3)),
            Utc::now() - chrono::Duration::seconds(1),
        );
        assert_eq!(latch.answer().unwrap().access_key_id, "ASIAOLD");
        wait_until("the refresh started", || calls.count() == 1);
        assert_eq!(
            latch.answer().unwrap().access_key_id,
            "ASIAOLD",
            "no wait while the refresh runs"
        );
        release.send(()).unwrap();
        wait_until("the new credentials are in memory", || {
            latch.answer().unwrap().access_key_id == "ASIANEW"
        });
        assert_eq!(calls.count(), 1, "one refresh only");
    }

    #[test]
    fn a_fatal_failure_is_latched_and_said_once() {
        let calls = Calls::default();
        let counted = calls.clone();
        let lines = Lines::default();
        let latch = Latch::spawn(
            policy(),
            move |attempt| {
                counted.note(attempt);
                Err(Error::WrongPassword {
                    username: "alice".into(),
                    flag: String::new(),
                })
            },
            lines.reporter(),
        )
        .unwrap();
        for _ in 0..5 {
            let refusal = latch.answer().unwrap_err();
            assert_eq!(refusal.status, 500);
            assert!(
                refusal
                    .message
                    .contains("rejected the username or password"),
                "{refusal:?}"
            );
        }
        assert_eq!(calls.count(), 1, "never tried again");
        let lines = lines.all();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].starts_with("aws-okta: credential server: Okta rejected the username"));
        assert!(lines[1].contains("restart the command"), "{lines:?}");
    }

    #[test]
    fn still_valid_credentials_are_served_after_a_fatal_failure_but_never_refreshed() {
        let calls = Calls::default();
        let counted = calls.clone();
        let latch = Latch::spawn(
            policy(),
            move |attempt| {
                counted.note(attempt);
                Err(Error::MfaRejected {
                    result: "REJECTED".into(),
                })
            },
            Lines::default().reporter(),
        )
        .unwrap();
        latch.seed(
            creds("ASIAOLD", chrono::Duration::minutes(3)),
            Utc::now() - chrono::Duration::seconds(1),
        );
        assert_eq!(latch.answer().unwrap().access_key_id, "ASIAOLD");
        wait_until("the refresh failed", || {
            calls.count() == 1 && !latch.shared.lock().in_flight
        });
        for _ in 0..5 {
            assert_eq!(latch.answer().unwrap().access_key_id, "ASIAOLD");
        }
        assert_eq!(calls.count(), 1);
        // Once they are no longer worth having, the failure is the answer.
        latch.seed(
            creds("ASIAOLD", chrono::Duration::seconds(30)),
            Utc::now() - chrono::Duration::seconds(1),
        );
        let refusal = latch.answer().unwrap_err();
        assert_eq!(refusal.status, 500);
        assert!(refusal.message.contains("MFA was rejected"), "{refusal:?}");
        assert_eq!(calls.count(), 1);
    }

    #[test]
    fn transient_failures_back_off_and_double() {
        let calls = Calls::default();
        let counted = calls.clone();
        let lines = Lines::default();
        // Wide gaps between the checks: only "no retry yet" needs the clock on its side, with
        // 300 ms to spare on a loaded machine.
        let latch = Latch::spawn(
            Policy {
                backoff: Duration::from_millis(300),
                ..policy()
            },
            move |attempt| {
                if counted.note(attempt) < 3 {
                    Err(Error::network("cannot reach Okta"))
                } else {
                    Ok(Some(creds("ASIABACK", chrono::Duration::hours(1))))
                }
            },
            lines.reporter(),
        )
        .unwrap();
        let refusal = latch.answer().unwrap_err();
        assert_eq!(
            (refusal.status, refusal.message.as_str()),
            (503, "cannot reach Okta")
        );
        for _ in 0..5 {
            assert_eq!(latch.answer().unwrap_err().status, 503);
        }
        assert_eq!(calls.count(), 1, "no retry inside the backoff");
        std::thread::sleep(Duration::from_millis(350));
        assert_eq!(latch.answer().unwrap_err().status, 503);
        assert_eq!(calls.count(), 2, "one retry after the backoff");
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(latch.answer().unwrap_err().status, 503);
        assert_eq!(calls.count(), 2, "the second backoff is twice as long");
        std::thread::sleep(Duration::from_millis(400));
        assert_eq!(latch.answer().unwrap().access_key_id, "ASIABACK");
        assert_eq!(calls.count(), 3);
        let lines = lines.all();
        assert_eq!(lines.len(), 2, "one line per failed attempt: {lines:?}");
        assert!(
            lines[0].ends_with("(trying again in 300ms at the earliest)"),
            "{lines:?}"
        );
        assert!(
            lines[1].ends_with("(trying again in 600ms at the earliest)"),
            "{lines:?}"
        );
    }

    #[test]
    fn after_a_login_needed_input_only_the_cache_is_read() {
        let calls = Calls::default();
        let counted = calls.clone();
        let lines = Lines::default();
        let latch = Latch::spawn(
            policy(),
            move |attempt| match (counted.note(attempt), attempt) {
                (1, Attempt::Login) => Err(Error::NeedsInput("type the code elsewhere".into())),
                (2 | 3, Attempt::CacheOnly) => Ok(None),
                (4, Attempt::CacheOnly) => Ok(Some(creds("ASIALATER", chrono::Duration::hours(1)))),
                other => panic!("unexpected call {other:?}"),
            },
            lines.reporter(),
        )
        .unwrap();
        for _ in 0..3 {
            let refusal = latch.answer().unwrap_err();
            assert_eq!(
                (refusal.status, refusal.message.as_str()),
                (500, "type the code elsewhere")
            );
        }
        assert_eq!(latch.answer().unwrap().access_key_id, "ASIALATER");
        assert_eq!(
            calls.attempts(),
            [
                Attempt::Login,
                Attempt::CacheOnly,
                Attempt::CacheOnly,
                Attempt::CacheOnly
            ]
        );
        let lines = lines.all();
        assert_eq!(
            lines,
            [
                "aws-okta: credential server: type the code elsewhere",
                "aws-okta: credential server: picked up the credentials of your other login"
            ]
        );
    }

    #[test]
    fn a_request_waits_at_most_max_wait_for_a_login() {
        let latch = Latch::spawn(
            Policy {
                max_wait: Duration::from_millis(50),
                ..policy()
            },
            |_| {
                std::thread::sleep(Duration::from_millis(400));
                Ok(Some(creds("ASIASLOW", chrono::Duration::hours(1))))
            },
            Lines::default().reporter(),
        )
        .unwrap();
        let refusal = latch.answer().unwrap_err();
        assert_eq!(refusal.status, 503);
        assert!(refusal.message.contains("in progress"), "{refusal:?}");
        wait_until("the login ended", || latch.answer().is_ok());
    }

    #[test]
    fn a_panicking_source_is_a_fatal_failure() {
        let latch = Latch::spawn(
            policy(),
            |_| panic!("boom (expected by this test)"),
            Lines::default().reporter(),
        )
        .unwrap();
        let refusal = latch.answer().unwrap_err();
        assert_eq!(refusal.status, 500);
        assert!(refusal.message.contains("a bug"), "{refusal:?}");
    }

    #[test]
    fn refresh_times_never_make_a_loop() {
        let policy = policy();
        let now = Utc::now();
        let at = |valid_for| Held::new(creds("A", valid_for), &policy).refresh_at - now;
        let close = |a: chrono::Duration, b: chrono::Duration| (a - b).num_seconds().abs() <= 2;
        // An hour: refreshed five minutes (the margin) before expiry.
        assert!(close(
            at(chrono::Duration::hours(1)),
            chrono::Duration::minutes(55)
        ));
        // Less than the margin to begin with: half their life, not at once.
        assert!(close(
            at(chrono::Duration::minutes(4)),
            chrono::Duration::minutes(2)
        ));
        // Already expired by this clock (ahead of AWS's): still min_interval.
        assert!(close(
            at(chrono::Duration::minutes(-10)),
            chrono::Duration::minutes(1)
        ));
    }
}
