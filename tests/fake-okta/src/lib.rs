//! A test-only fake of the parts of Okta that `aws-okta` talks to:
//!
//! * the classic authentication API (`/api/v1/authn`, factor verification with push polling and
//!   TOTP, password warn/expiry, lock-out, rate limits),
//! * session tokens turned into an `sid` session cookie by the AWS app's embed link,
//! * the auto-post HTML page carrying the entity-encoded, base64 `SAMLResponse`,
//! * the Sessions API (`/api/v1/sessions/me`) and `/.well-known/okta-organization`,
//! * Duo's Universal Prompt behind Okta's custom IdP factor (`claims_provider`), served on a
//!   listener of its own (another port: another origin), see [`Factor::DuoUniversal`],
//! * AWS's sign-in host (the SAML role picker with account names, the console federation
//!   endpoint, console pages), on a listener of its own: [`aws_signin::FakeAwsSignin`].
//!
//! Responses follow Okta's documented wire format (status values, `_links`, `_embedded`, error
//! bodies, `X-Rate-Limit-*` headers) so that a client passing against it talks to real Okta.
//!
//! Use [`FakeOkta::start`] from synchronous tests, or [`serve`] / [`router`] from async code.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub mod aws_signin;
mod duo;
mod duo_universal;
mod http;
mod oauth;
mod saml;
mod server;
pub mod tls;
pub mod webauthn;

pub use oauth::{
    DeviceBehavior, OAuthConfig, OAuthCounters, OobBehavior, DEFAULT_AUTH_SERVER, DEFAULT_CLIENT_ID,
};
pub use saml::{decode_html_entities, html_attr_encode, saml_response_xml};
pub use server::router;

/// The AWS app's embed link path (without the leading slash).
pub const DEFAULT_SAML_PATH: &str = "home/amazon_aws/0oa1abcdEFGH/272";
/// The default (and only) role offered by the SAML assertion.
pub const DEFAULT_HUB_ROLE: &str = "arn:aws:iam::111111111111:role/hub-team";
/// The SAML provider paired with [`DEFAULT_HUB_ROLE`].
pub const DEFAULT_PROVIDER: &str = "arn:aws:iam::111111111111:saml-provider/okta";
/// The path of the AWS app's SAML SSO endpoint the embed link redirects to.
pub const APP_SSO_PATH: &str = "/app/amazon_aws/exk1fakeappid/sso/saml";
/// The SAML issuer of the fake AWS app.
pub const SAML_ISSUER: &str = "http://www.okta.com/exk1fakeappid";
/// Where Okta's auto-post form sends the assertion.
pub const AWS_SIGNIN_SAML_URL: &str = "https://signin.aws.amazon.com/saml";

/// How the fake org and its single user behave. Every field has a default, so a JSON config
/// file only needs the fields it changes.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default)]
pub struct Config {
    /// The user's login (matched case-insensitively; the short name before `@` works too).
    pub username: String,
    pub password: String,
    pub account: AccountState,
    /// Enrolled factors. Empty means primary authentication ends in `SUCCESS`.
    pub factors: Vec<Factor>,
    /// When true, `MFA_REQUIRED` carries `_embedded.factor` (the first factor, one object)
    /// instead of the `_embedded.factors` array.
    pub single_factor_object: bool,
    pub roles: Vec<SamlRole>,
    /// Okta sends `provider,role`; true sends `role,provider`.
    pub role_first: bool,
    /// The `SessionDuration` SAML attribute (seconds); `None` omits it.
    pub session_duration: Option<u32>,
    /// The AWS app's embed link path, without the leading slash.
    pub saml_path: String,
    /// The first N `POST /api/v1/authn` answer 429 `E0000047`.
    pub rate_limit_first: u32,
    /// The next N `POST /api/v1/authn` (after the rate-limited ones) answer 503.
    pub unavailable_first: u32,
    /// `pipeline` of `/.well-known/okta-organization`: `v1` (Classic) or `idx`.
    pub pipeline: String,
    /// `passwordExpireDays` of `PASSWORD_WARN`.
    pub password_warn_days: u32,
    /// The OAuth side of an Identity Engine org (client, grants, push and device behaviour).
    pub oauth: OAuthConfig,
    /// The MFA policy's `allowRememberDevice` (default false: "MFA at every sign-in"): when
    /// true, a factor verified with `?rememberDevice=true` makes the device (its `DT` cookie)
    /// skip MFA on later primary authentications.
    pub allow_remember_device: bool,
    /// Lifetime of a new (or refreshed) session, in seconds.
    pub session_lifetime_secs: i64,
    /// The AWS app's sign-on policy asks for MFA again: with a session, the app answers with
    /// Okta's step-up page (carrying a `stateToken`) instead of the SAML page.
    pub app_step_up: bool,
    /// The first N `POST /api/v1/authn` answer 200 with an HTML page (a captive portal or a
    /// web server that is not Okta).
    pub html_first: u32,
    /// Where the app link redirects after redeeming a session token (default: the app's SSO
    /// path on this server). A hostile or misconfigured org's redirect elsewhere, for tests
    /// that check nothing follows it.
    pub app_redirect: Option<String>,
    /// Seconds the org's clock is off from the real one: every answer's `Date` header says
    /// `now + clock_skew_secs` (a wrong clock, for `doctor`).
    pub clock_skew_secs: i64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            username: "alice@example.com".to_string(),
            password: "correct horse battery staple".to_string(),
            account: AccountState::Active,
            factors: vec![Factor::Push {
                id: "opf1pushfactor".to_string(),
                behavior: PushBehavior::ApproveAfter(1),
                number_challenge: None,
            }],
            single_factor_object: false,
            roles: vec![SamlRole {
                role_arn: DEFAULT_HUB_ROLE.to_string(),
                provider_arn: DEFAULT_PROVIDER.to_string(),
            }],
            role_first: false,
            session_duration: Some(43200),
            saml_path: DEFAULT_SAML_PATH.to_string(),
            rate_limit_first: 0,
            unavailable_first: 0,
            pipeline: "v1".to_string(),
            password_warn_days: 5,
            oauth: OAuthConfig::default(),
            allow_remember_device: false,
            session_lifetime_secs: 7200,
            app_step_up: false,
            html_first: 0,
            app_redirect: None,
            clock_skew_secs: 0,
        }
    }
}

/// The user's account state, which decides what primary authentication answers.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub enum AccountState {
    /// `MFA_REQUIRED` when factors are enrolled, else `SUCCESS`.
    Active,
    /// `LOCKED_OUT` (the "show lockout failures" password policy).
    LockedOut,
    /// `PASSWORD_EXPIRED` (after MFA when factors are enrolled, as Okta documents).
    PasswordExpired,
    /// `PASSWORD_WARN` before `SUCCESS` when the client sent
    /// `options.warnBeforePasswordExpired: true` (Okta skips the warning otherwise).
    PasswordWarn,
    /// `MFA_ENROLL`: no factor enrolled yet, the policy requires one.
    MfaEnroll,
    /// `UNAUTHENTICATED`: the transaction has no authenticated user (Okta's answer when a
    /// flow started elsewhere must begin again with primary authentication).
    Unauthenticated,
}

/// An enrolled factor.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub enum Factor {
    /// Okta Verify push.
    Push {
        id: String,
        behavior: PushBehavior,
        /// The number the user must tap; shown in poll responses as
        /// `_embedded.factor._embedded.challenge.correctAnswer`.
        number_challenge: Option<u32>,
    },
    /// `token:software:totp`; `provider` is `OKTA` or `GOOGLE`.
    Totp {
        id: String,
        provider: String,
        code: String,
    },
    /// `sms` (OKTA): a verify without `passCode` texts the code (`factorResult: CHALLENGE`,
    /// `_links.resend`), then a verify with `passCode` checks it.
    Sms {
        id: String,
        phone: String,
        code: String,
    },
    /// `call` (OKTA): like SMS, by voice call.
    Call {
        id: String,
        phone: String,
        code: String,
    },
    /// `email` (OKTA): like SMS, by email.
    Email {
        id: String,
        email: String,
        code: String,
    },
    /// `token:hardware` (YUBICO): the YubiKey OTP is the `passCode`.
    YubiKey { id: String, code: String },
    /// `token` with `provider` `RSA` (SecurID) or `SYMANTEC` (VIP).
    Token {
        id: String,
        provider: String,
        code: String,
    },
    /// `question` (OKTA): verified with `{"answer"}`.
    Question {
        id: String,
        question: String,
        question_text: String,
        answer: String,
    },
    /// `web` (DUO): `_embedded.verification` points at the fake's Duo prompt API
    /// (`/frame/...` on the same server); `complete` takes the `sig_response`.
    Duo {
        id: String,
        behavior: DuoBehavior,
        /// Device names Duo knows (`phone1`, ...).
        devices: Vec<String>,
        /// The passcode Duo accepts with factor `Passcode`.
        passcode: String,
    },
    /// `claims_provider` (CUSTOM, "Duo Universal Prompt"): a verify answers `MFA_CHALLENGE`
    /// whose `_links.next` (`/sso/idps/..`) redirects to the fake Duo host (a listener of its
    /// own), which runs Duo's frameless prompt (plugin form, login form, status, OIDC exit)
    /// and redirects back to Okta's callback, which sets `sid`.
    DuoUniversal {
        id: String,
        behavior: DuoUniversalBehavior,
        /// Device names Duo lists (`phone1`, ...), each with Duo Push, Phone Call, Passcode.
        devices: Vec<String>,
        /// The passcode Duo accepts with factor `Passcode`.
        passcode: String,
        /// Sends one step of the flow to another URL (tests of the origin checks).
        redirect: Option<DuoRedirect>,
    },
    /// `webauthn` (FIDO): a verify returns a challenge; the assertion (`clientData`,
    /// `authenticatorData`, `signatureData`) is verified against `public_key`.
    WebAuthn {
        id: String,
        /// base64url credential id (`profile.credentialId`).
        credential_id: String,
        /// base64url SEC1 P-256 public key.
        public_key: String,
    },
}

impl Factor {
    pub fn id(&self) -> &str {
        match self {
            Factor::Push { id, .. }
            | Factor::Totp { id, .. }
            | Factor::Sms { id, .. }
            | Factor::Call { id, .. }
            | Factor::Email { id, .. }
            | Factor::YubiKey { id, .. }
            | Factor::Token { id, .. }
            | Factor::Question { id, .. }
            | Factor::Duo { id, .. }
            | Factor::DuoUniversal { id, .. }
            | Factor::WebAuthn { id, .. } => id,
        }
    }
}

/// What the user does with a Duo push.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub enum DuoBehavior {
    /// `allow` on the second status poll.
    Approve,
    /// `deny` on the second status poll.
    Deny,
}

/// What the user (or Duo's policy) does in the Duo Universal Prompt.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub enum DuoUniversalBehavior {
    /// A push or call is `allow`ed on the Nth status poll (`pushed`, or `calling` then
    /// `answered`, before). A passcode is checked at once, whatever the behaviour.
    ApproveAfter(u32),
    /// `deny` on the first status poll.
    Deny,
    /// `timeout` on the first status poll.
    Timeout,
    /// Duo remembers the device: the plugin form goes straight to the OIDC exit.
    Remembered,
    /// Duo lists only a security key (WebAuthn), which only a browser can use.
    WebAuthnOnly,
    /// Duo's policy denies the device: its prompt page has no login form.
    DeviceDenied,
}

/// A step of the Duo Universal flow sent elsewhere (`Location` of that redirect).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub enum DuoRedirect {
    /// Okta's `/sso/idps/..` redirects here instead of to the Duo host.
    Prompt(String),
    /// Duo's `/oauth/v1/authorize` redirects here (with `sid` and `tx`) instead of to its
    /// frameless prompt.
    Frameless(String),
    /// Duo's OIDC exit redirects here (with `state` and `code`) instead of to Okta.
    Exit(String),
}

/// What the user does with a push.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub enum PushBehavior {
    /// `SUCCESS` on the Nth poll (0: the verify call that sends the push already succeeds).
    ApproveAfter(u32),
    /// `factorResult: REJECTED` on the first poll.
    Reject,
    /// `factorResult: TIMEOUT` on the first poll.
    Timeout,
}

/// One AWS role offered by the assertion.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct SamlRole {
    pub role_arn: String,
    pub provider_arn: String,
}

/// What the fake has been asked, for assertions in tests and benchmarks.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Counters {
    /// Every HTTP request (except the fake's own `/__fake/*` control endpoints).
    pub total: u32,
    /// `POST /api/v1/authn`, including the rate-limited and unavailable ones.
    pub authn: u32,
    /// The first verify call per factor per transaction (a push sent / a code checked).
    pub verify: u32,
    /// Pushes sent (first verify, a verify after a terminal result, or a resend).
    pub pushes: u32,
    /// Push poll calls (verify calls after the one that sent the push).
    pub polls: u32,
    /// `GET` of the AWS app embed link (`saml_path`).
    pub app_link: u32,
    /// HTML pages that carried a `SAMLResponse`.
    pub saml_issued: u32,
    /// Requests to `/api/v1/sessions/me` (any method).
    pub sessions_me: u32,
    /// `POST /api/v1/sessions/me/lifecycle/refresh` that extended a session.
    pub session_refreshes: u32,
    /// Codes sent by SMS, voice call or email (first send and resends).
    pub codes_sent: u32,
    /// Verify calls that carried a wrong passcode, answer, assertion or Duo response.
    pub bad_codes: u32,
    /// Duo pushes sent through the Duo prompt API (traditional and Universal).
    pub duo_pushes: u32,
    /// Duo Universal: phone calls started.
    pub duo_calls: u32,
    /// Duo Universal: `POST /frame/v4/status` calls.
    pub duo_status_polls: u32,
    /// Duo Universal: Okta sessions started by the OIDC callback from Duo.
    pub duo_sessions: u32,
    /// WebAuthn assertions whose signature verified.
    pub webauthn_verified: u32,
    /// Primary authentications that skipped MFA because the `DT` cookie was remembered.
    pub remembered_device_logins: u32,
    /// Devices remembered (`rememberDevice=true` on a successful verify).
    pub devices_remembered: u32,
}

/// The fake's shared state: configuration, counters, transactions, tokens and sessions.
/// Cheap to clone (an `Arc` inside).
#[derive(Clone)]
pub struct ServerState {
    pub(crate) inner: Arc<Shared>,
}

pub(crate) struct Shared {
    pub(crate) config: Config,
    /// `http://127.0.0.1:PORT` of the Duo Universal listener, once bound.
    pub(crate) duo_url: std::sync::OnceLock<String>,
    pub(crate) started_at: DateTime<Utc>,
    pub(crate) data: Mutex<Data>,
}

#[derive(Default)]
pub(crate) struct Data {
    pub(crate) counters: Counters,
    /// `POST /api/v1/authn` calls seen so far (for `rate_limit_first` / `unavailable_first`).
    pub(crate) authn_seen: u32,
    pub(crate) transactions: HashMap<String, Transaction>,
    pub(crate) session_tokens: HashMap<String, SessionToken>,
    pub(crate) sessions: HashMap<String, Session>,
    pub(crate) rate_window_start: i64,
    pub(crate) rate_window_count: u32,
    pub(crate) oauth: oauth::OAuthData,
    /// `DT` cookies of remembered devices.
    pub(crate) trusted_devices: HashSet<String>,
    /// Duo transactions by the `TX|...` part of the signature.
    pub(crate) duo: HashMap<String, DuoTx>,
    /// `User-Agent` of every request, in order.
    pub(crate) user_agents: Vec<String>,
    /// `Cookie` names sent with each `POST /api/v1/authn`, in order.
    pub(crate) authn_cookies: Vec<Vec<String>>,
    /// Every secret the fake handed out (state/session tokens, sids, DTs, Duo cookies,
    /// refresh tokens and device secrets).
    pub(crate) issued: Vec<String>,
    /// Every request (except to `/__fake/*`): request line, headers and body, in order.
    pub(crate) received: Vec<String>,
    /// Duo Universal: transactions by Duo `sid`.
    pub(crate) duo_universal: HashMap<String, duo_universal::DuoTx>,
    /// Duo Universal: Okta's OIDC `state` -> what it stands for.
    pub(crate) duo_states: HashMap<String, duo_universal::OidcState>,
    /// Duo Universal: OIDC codes Duo's exit issued -> the `state` they answer.
    pub(crate) duo_codes: HashMap<String, String>,
    /// Every request the Duo host received, like `received`.
    pub(crate) duo_received: Vec<String>,
    /// Secrets of the Duo host (its `sid`, `tx`, `_xsrf`, cookie, `txid`s): never for Okta.
    pub(crate) duo_issued: Vec<String>,
}

pub(crate) struct DuoTx {
    pub(crate) state_token: String,
    pub(crate) factor_id: String,
    pub(crate) app: String,
    pub(crate) sid: Option<String>,
    pub(crate) txid: Option<String>,
    pub(crate) polls: u32,
    pub(crate) passcode_ok: Option<bool>,
    pub(crate) cookie: Option<String>,
    /// `complete` received the right `sig_response`.
    pub(crate) completed: bool,
}

pub(crate) struct Transaction {
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) warn_requested: bool,
    pub(crate) mfa_done: bool,
    pub(crate) password_changed: bool,
    pub(crate) warn_skipped: bool,
    /// Factors that had their first verify call in this transaction.
    pub(crate) verified_once: HashSet<String>,
    /// Push factor id -> polls since the push was sent (present while a push is pending).
    pub(crate) pending_push: HashMap<String, u32>,
    /// The `DT` cookie the client sent or was given on primary authentication.
    pub(crate) device_token: String,
    /// A verify carried `rememberDevice=true`.
    pub(crate) remember_device: bool,
    /// SMS/call/email factors whose code was sent.
    pub(crate) challenged: HashSet<String>,
    /// WebAuthn factor id -> pending challenge (base64url).
    pub(crate) webauthn_challenges: HashMap<String, String>,
    /// Duo factor id -> the `TX` part of its pending verification.
    pub(crate) duo_pending: HashMap<String, String>,
}

pub(crate) struct SessionToken {
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) used: bool,
    pub(crate) mfa: bool,
    pub(crate) password_verified: DateTime<Utc>,
    pub(crate) factor_verified: Option<DateTime<Utc>>,
}

#[derive(Clone)]
pub(crate) struct Session {
    pub(crate) id: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) mfa: bool,
    pub(crate) password_verified: DateTime<Utc>,
    pub(crate) factor_verified: Option<DateTime<Utc>>,
}

impl ServerState {
    pub fn new(config: Config) -> ServerState {
        ServerState {
            inner: Arc::new(Shared {
                config,
                duo_url: std::sync::OnceLock::new(),
                started_at: Utc::now(),
                data: Mutex::new(Data::default()),
            }),
        }
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub(crate) fn data(&self) -> MutexGuard<'_, Data> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // matters for a fake: keep serving.
        self.inner
            .data
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn counters(&self) -> Counters {
        self.data().counters.clone()
    }

    pub fn reset_counters(&self) {
        self.data().counters = Counters::default();
    }

    /// Every `sid` cookie becomes invalid, as if the Okta session had expired.
    pub fn invalidate_sessions(&self) {
        self.data().sessions.clear();
    }

    /// Seconds left of each live session.
    pub fn session_seconds_left(&self) -> Vec<i64> {
        let now = Utc::now();
        self.data()
            .sessions
            .values()
            .map(|s| (s.expires_at - now).num_seconds())
            .collect()
    }

    /// Every `User-Agent` seen so far.
    pub fn user_agents(&self) -> Vec<String> {
        self.data().user_agents.clone()
    }

    /// The cookie names sent with each `POST /api/v1/authn`.
    pub fn authn_cookies(&self) -> Vec<Vec<String>> {
        self.data().authn_cookies.clone()
    }

    /// Every secret handed out so far: state tokens, session tokens, `sid`s, `DT`s, Duo
    /// cookies and signatures, refresh tokens and device secrets (for "never in the logs"
    /// assertions).
    pub fn issued_secrets(&self) -> Vec<String> {
        self.data().issued.clone()
    }

    /// Every request received so far (except the fake's own `/__fake/*` control endpoints),
    /// each as its request line, headers and body: what this org learnt, for "never sent
    /// here" assertions.
    pub fn received(&self) -> Vec<String> {
        self.data().received.clone()
    }

    /// Every request the fake Duo host received (request line, headers and body).
    pub fn duo_received(&self) -> Vec<String> {
        self.data().duo_received.clone()
    }

    /// The Duo host's own secrets (its `sid`, `tx`, `_xsrf`, session cookie, `txid`s), which
    /// must reach no one but the Duo host.
    pub fn duo_secrets(&self) -> Vec<String> {
        self.data().duo_issued.clone()
    }

    /// `http://127.0.0.1:PORT` of the fake Duo host, when it runs.
    pub fn duo_url(&self) -> Option<String> {
        self.inner.duo_url.get().cloned()
    }

    /// Whether the config has a Duo Universal factor (which needs the Duo listener).
    pub fn wants_duo(&self) -> bool {
        self.config()
            .factors
            .iter()
            .any(|f| matches!(f, Factor::DuoUniversal { .. }))
    }

    /// `DT` cookies of the remembered devices.
    pub fn trusted_devices(&self) -> Vec<String> {
        self.data().trusted_devices.iter().cloned().collect()
    }
}

/// Serves the fake on `listener` until the returned future is dropped (or the listener fails).
pub async fn serve(listener: tokio::net::TcpListener, state: ServerState) -> std::io::Result<()> {
    axum::serve(listener, router(state)).await
}

/// Serves the fake Duo host (Universal Prompt) on `listener`, which Okta's `/sso/idps/..`
/// then redirects to. Another port than Okta's: another origin.
pub async fn serve_duo(
    listener: tokio::net::TcpListener,
    state: ServerState,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    let _ = state.inner.duo_url.set(format!("http://{addr}"));
    axum::serve(listener, duo_universal::router(state)).await
}

/// Serves the fake over TLS on `listener`: every request is marked `X-Forwarded-Proto: https`,
/// so the links and redirects the fake writes are `https://` ones.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    state: ServerState,
    config: Arc<rustls::ServerConfig>,
    stats: Arc<tls::TlsStats>,
) -> std::io::Result<()> {
    async fn mark_https(mut request: axum::extract::Request) -> axum::extract::Request {
        request.headers_mut().insert(
            "x-forwarded-proto",
            axum::http::HeaderValue::from_static("https"),
        );
        request
    }
    let listener = tls::TlsListener::new(listener, config, stats)?;
    axum::serve(
        listener,
        router(state).layer(axum::middleware::map_request(mark_https)),
    )
    .await
}

/// A fake Okta org serving on `127.0.0.1:<random port>` from a background thread with its own
/// tokio runtime. Dropping it stops the server.
pub struct FakeOkta {
    addr: SocketAddr,
    state: ServerState,
    /// Set in TLS mode ([`FakeOkta::start_tls`]).
    tls: Option<Arc<tls::TlsStats>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeOkta {
    /// Binds `127.0.0.1:0` and serves on a background thread; returns once the listener
    /// accepts connections.
    ///
    /// Panics if the port cannot be bound or the runtime cannot be built (test-only code).
    pub fn start(config: Config) -> FakeOkta {
        FakeOkta::start_with(config, None)
    }

    /// Like [`FakeOkta::start`], over TLS with `tls` (e.g. [`tls::TestCa::server_config`]):
    /// [`FakeOkta::url`] is then `https://127.0.0.1:PORT`.
    pub fn start_tls(config: Config, tls: Arc<rustls::ServerConfig>) -> FakeOkta {
        FakeOkta::start_with(config, Some(tls))
    }

    fn start_with(config: Config, tls_config: Option<Arc<rustls::ServerConfig>>) -> FakeOkta {
        let std_listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("fake-okta: cannot bind 127.0.0.1:0");
        std_listener
            .set_nonblocking(true)
            .expect("fake-okta: cannot make the listener non-blocking");
        let addr = std_listener
            .local_addr()
            .expect("fake-okta: listener has no local address");
        let state = ServerState::new(config);
        // The Duo host of a Duo Universal factor: its own port, so its own origin.
        let duo_listener = state.wants_duo().then(|| {
            let listener = std::net::TcpListener::bind("127.0.0.1:0")
                .expect("fake-okta: cannot bind the Duo listener");
            listener
                .set_nonblocking(true)
                .expect("fake-okta: cannot make the Duo listener non-blocking");
            let addr = listener
                .local_addr()
                .expect("fake-okta: Duo listener address");
            let _ = state.inner.duo_url.set(format!("http://{addr}"));
            listener
        });
        let tls_stats = tls_config
            .as_ref()
            .map(|_| Arc::new(tls::TlsStats::default()));
        let thread_tls = tls_config.zip(tls_stats.clone());
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
        let thread_state = state.clone();
        let thread = std::thread::Builder::new()
            .name(format!("fake-okta-{}", addr.port()))
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(format!("cannot build runtime: {e}")));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(std_listener) {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(format!("cannot adopt listener: {e}")));
                            return;
                        }
                    };
                    let duo = match duo_listener.map(tokio::net::TcpListener::from_std) {
                        Some(Ok(l)) => Some(l),
                        Some(Err(e)) => {
                            let _ =
                                ready_tx.send(Err(format!("cannot adopt the Duo listener: {e}")));
                            return;
                        }
                        None => None,
                    };
                    let _ = ready_tx.send(Ok(()));
                    let duo_state = thread_state.clone();
                    let duo_server = async move {
                        match duo {
                            Some(l) => serve_duo(l, duo_state).await,
                            None => std::future::pending().await,
                        }
                    };
                    let server = async move {
                        match thread_tls {
                            Some((config, stats)) => {
                                serve_tls(listener, thread_state, config, stats).await
                            }
                            None => serve(listener, thread_state).await,
                        }
                    };
                    tokio::select! {
                        result = server => {
                            if let Err(e) = result {
                                eprintln!("fake-okta: server stopped: {e}");
                            }
                        }
                        result = duo_server => {
                            if let Err(e) = result {
                                eprintln!("fake-okta: Duo server stopped: {e}");
                            }
                        }
                        _ = shutdown_rx => {}
                    }
                });
                // Drop open keep-alive connections rather than waiting for clients to close them.
                runtime.shutdown_timeout(Duration::from_millis(200));
            })
            .expect("fake-okta: cannot spawn the server thread");
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("fake-okta: {e}"),
            Err(_) => panic!("fake-okta: server thread died before it was ready"),
        }
        FakeOkta {
            addr,
            state,
            tls: tls_stats,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`, or `https://` in TLS mode (no trailing slash).
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// TCP connections and completed TLS handshakes so far (TLS mode only).
    pub fn tls_counts(&self) -> Option<tls::TlsCounts> {
        self.tls.as_ref().map(|stats| stats.counts())
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn state(&self) -> &ServerState {
        &self.state
    }

    /// `http://127.0.0.1:PORT` of the fake Duo host (only with a Duo Universal factor).
    pub fn duo_url(&self) -> Option<String> {
        self.state.duo_url()
    }

    pub fn counters(&self) -> Counters {
        self.state.counters()
    }

    pub fn reset_counters(&self) {
        self.state.reset_counters()
    }

    /// Every `sid` cookie becomes invalid, as if the Okta session had expired.
    pub fn invalidate_sessions(&self) {
        self.state.invalidate_sessions()
    }
}

impl Drop for FakeOkta {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
