//! Duo Universal Prompt: Okta Classic's custom IdP factor (`claims_provider`) behind which
//! Duo's OIDC prompt runs. There is no `sessionToken` at the end: the prompt ends with Duo's
//! OIDC exit back to Okta, whose callback starts the Okta session (`sid`).
//!
//! 1. `POST .../verify[?rememberDevice=true]` with the `stateToken`: `MFA_CHALLENGE` whose
//!    `_links.next` (a GET on the org) starts the IdP sign-in.
//! 2. `GET _links.next`: Okta redirects to Duo (`/oauth/v1/authorize`), Duo to its frameless
//!    prompt (`/frame/frameless/v4/auth?sid=..&tx=..`): a page with the `plugin_form`.
//! 3. `POST` the plugin form: Duo redirects to its prompt page with the `login-form`
//!    (devices, the factors of each, `sid`, `_xsrf`); or, when Duo lets the sign-in through
//!    without a second factor, straight back to Okta (step 6).
//! 4. `POST` the login form with `factor` (`Duo Push`, `Phone Call`, `Passcode`), `device`
//!    and `postAuthDestination=OIDC_EXIT`: `{"stat":"OK","response":{"txid"}}`.
//! 5. `POST /frame/v4/status` (`sid`, `txid`) until `status_code` is `allow` (`pushed`,
//!    `calling`, `answered` meanwhile; `deny`, `timeout` end it).
//! 6. `POST /frame/v4/oidc/exit`: Duo redirects to Okta's callback, which sets `sid`.
//!
//! Trust: the host Okta's redirect names must be a Duo Security host (https
//! `*.duosecurity.com`, `*.duofederal.com`; a loopback server only when the org itself is
//! one). From then on every redirect is checked: Duo's pages stay on that one Duo origin,
//! the way back goes to the Okta org, anything else is refused before a request is sent.
//! Cookies are kept per origin, so Duo's go only to Duo and Okta's only to Okta; Duo's
//! `sid`, `txid` and `_xsrf` are posted only to the Duo origin.
use super::{duo, push, Verified};
use super::{MfaFactor, Step, VerifyFuture};
use crate::okta::cookies::parse_set_cookie;
use crate::okta::http::{read_text, Retry};
use crate::okta::wire::AuthnResponse;
use crate::okta::wire::Factor;
use crate::okta::OktaClient;
use crate::redact;
use crate::terminal::Spinner;
use crate::{Error, Result};
use reqwest::header::{ACCEPT, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Method, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;
use std::time::Instant;
use url::Url;
use zeroize::Zeroizing;

/// Redirects followed in one go (Okta → Duo → Duo takes two; the way back one or two).
const MAX_REDIRECTS: usize = 10;

/// The Duo factor to use, from `--mfa-duo-device`/`mfa_duo_device`/`AWS_OKTA_MFA_DUO_DEVICE`:
/// a device (`phone2`), a Duo factor name (`Duo Push`, `Phone Call`, `Passcode`; also `push`,
/// `call`, `passcode`, `token`), or both as `DEVICE:FACTOR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub method: DuoFactor,
    pub device: Option<String>,
}

/// A Duo factor the frameless prompt can drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuoFactor {
    Push,
    Call,
    Passcode,
}

impl DuoFactor {
    /// The name Duo's login form uses.
    fn duo_name(self) -> &'static str {
        match self {
            DuoFactor::Push => "Duo Push",
            DuoFactor::Call => "Phone Call",
            DuoFactor::Passcode => "Passcode",
        }
    }

    fn from_word(word: &str) -> Option<DuoFactor> {
        let folded: String = word
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match folded.as_str() {
            "push" | "duopush" => Some(DuoFactor::Push),
            "call" | "phonecall" => Some(DuoFactor::Call),
            "passcode" | "token" => Some(DuoFactor::Passcode),
            _ => None,
        }
    }
}

impl Choice {
    pub fn parse(value: Option<&str>) -> Choice {
        let mut choice = Choice {
            method: DuoFactor::Push,
            device: None,
        };
        for part in value.unwrap_or("").split(':') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            match DuoFactor::from_word(part) {
                Some(method) => choice.method = method,
                None => choice.device = Some(part.to_string()),
            }
        }
        choice
    }
}

pub async fn verify(
    client: &OktaClient,
    href: Url,
    state_token: &SecretString,
    duo_device: Option<&str>,
) -> Result<Verified> {
    let choice = Choice::parse(duo_device);
    let body = json!({"stateToken": state_token.expose_secret()});
    let started: AuthnResponse = client.post_json(href, &body).await??;
    drop(body);
    if started.status != "MFA_CHALLENGE" {
        return Ok(Verified::Authn(Box::new(started)));
    }
    let next = started.links.next.as_ref().ok_or_else(|| {
        Error::OktaResponse("Okta's Duo Universal Prompt challenge has no _links.next".into())
    })?;
    let next = client.link(&next.href)?;
    let mut flow = Flow {
        client,
        duo: None,
        back_from_duo: false,
    };
    tracing::debug!("duo universal: opening the prompt through Okta");
    let response = flow.send(Method::GET, &next, None).await?;
    let page = match flow.follow(next, response).await? {
        Arrival::Session(sid) => return Ok(Verified::Session(sid)),
        Arrival::Page(page) => flow.on_duo(page)?,
    };
    let page = match find_form(&page.html, "plugin_form") {
        Some(form) => {
            // The page's own URL (with `sid` and `tx`) is where the form goes without an action.
            let action = form.action_url(&page.url)?;
            let action = flow.duo_url(&page.url, action)?;
            let fields = form.hidden_fields(&[]);
            let response = flow
                .send(Method::POST, &action, Some(&fields.as_pairs()))
                .await?;
            match flow.follow(action, response).await? {
                Arrival::Session(sid) => return Ok(Verified::Session(sid)),
                Arrival::Page(page) => flow.on_duo(page)?,
            }
        }
        None => page,
    };
    let prompt = Prompt::read(&page)?;
    let (device, method) = prompt.choose(&choice)?;
    let duo = flow.duo_origin()?;
    let url = |path: &str| {
        duo.join(path)
            .map_err(|e| Error::OktaResponse(format!("bad Duo path {path}: {e}")))
    };
    let txid = authenticate(&flow, &prompt, &device, method, &url("/frame/v4/status")?).await?;
    tracing::debug!("duo universal: approved; exiting to Okta");
    let exit = url("/frame/v4/oidc/exit")?;
    let fields = [
        ("txid", txid.expose_secret()),
        ("sid", prompt.sid.as_str()),
        ("factor", method.duo_name()),
        ("_xsrf", prompt.xsrf.as_str()),
        ("device_key", ""),
        ("dampen_choice", "false"),
    ];
    let response = flow.send(Method::POST, &exit, Some(&fields)).await?;
    match flow.follow(exit, response).await? {
        Arrival::Session(sid) => Ok(Verified::Session(sid)),
        Arrival::Page(page) => Err(Error::OktaResponse(format!(
            "Duo approved the sign-in, but its exit to Okta ended at {} (HTTP {}) without an Okta session: retry, or sign in once in the browser",
            redact::url(page.url.as_str()),
            page.status.as_u16()
        ))),
    }
}

/// Starts the factor (a push, a call, or a passcode, asked again after a rejection) and waits
/// for Duo's answer; the `txid` of the approved transaction.
async fn authenticate(
    flow: &Flow<'_>,
    prompt: &Prompt,
    device: &str,
    method: DuoFactor,
    status_url: &Url,
) -> Result<SecretString> {
    let action = flow.duo_url(&prompt.url, prompt.action.clone())?;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let passcode = match method {
            DuoFactor::Passcode => Some(duo::read_passcode()?),
            _ => None,
        };
        let mut fields = prompt.fields.clone();
        fields.push("factor", method.duo_name());
        fields.push("device", device);
        fields.push("postAuthDestination", "OIDC_EXIT");
        if let Some(code) = &passcode {
            fields.push("passcode", code);
        }
        let response = flow
            .send(Method::POST, &action, Some(&fields.as_pairs()))
            .await?;
        let text = read_text("Duo", response).await?;
        let started: Answer<Started> = parse(&text)?;
        let txid = match (started.stat.as_str(), started.response) {
            ("OK", Some(r)) => r.txid,
            _ => {
                return Err(Error::Mfa(format!(
                    "Duo refused to start {} on '{device}': {} (choose another device or factor with --mfa-duo-device)",
                    method.duo_name(),
                    started.message.unwrap_or_else(|| "no reason given".into())
                )))
            }
        };
        if wait(flow, status_url, prompt, txid.expose_secret(), method).await? {
            return Ok(txid);
        }
        // Only a passcode comes back here: a rejected push or call is an error in `wait`.
        if attempts >= super::code::ATTEMPTS {
            return Err(Error::Mfa(format!(
                "Duo rejected the passcode {attempts} times: retry with a fresh one"
            )));
        }
        crate::notice!(
            "Duo did not accept that passcode; try again ({} left).",
            super::code::ATTEMPTS - attempts
        );
    }
}

/// Polls Duo's transaction status: `true` once allowed, `false` for a rejected passcode.
async fn wait(
    flow: &Flow<'_>,
    url: &Url,
    prompt: &Prompt,
    txid: &str,
    method: DuoFactor,
) -> Result<bool> {
    let spinner = match method {
        DuoFactor::Push => Some(Spinner::start(
            "Waiting for Duo Push approval on your phone…",
        )),
        DuoFactor::Call => Some(Spinner::start(
            "Waiting for you to answer Duo's phone call…",
        )),
        DuoFactor::Passcode => None,
    };
    let started = Instant::now();
    let mut shown_code = None;
    loop {
        let fields = [("sid", prompt.sid.as_str()), ("txid", txid)];
        let response = flow.send(Method::POST, url, Some(&fields)).await?;
        let text = read_text("Duo", response).await?;
        let answer: Answer<Status> = parse(&text)?;
        if answer.stat != "OK" {
            return Err(Error::Mfa(format!(
                "Duo could not tell the state of the sign-in: {}",
                answer.message.unwrap_or_else(|| "no reason given".into())
            )));
        }
        let status = answer.response.unwrap_or_default();
        let code = status.status_code.as_deref().unwrap_or("");
        tracing::debug!(status_code = code, "duo universal status");
        if let (Some(s), Some(number)) = (&spinner, status.verification_code()) {
            if shown_code.as_deref() != Some(number.as_str()) {
                s.println(&format!(
                    "\n    >>> Duo Push: enter {number} in Duo Mobile <<<\n"
                ));
                shown_code = Some(number);
            }
        }
        match (code, status.result.as_deref()) {
            ("allow", _) | (_, Some("SUCCESS")) => return Ok(true),
            ("timeout", _) => return Err(Error::MfaTimeout),
            ("webauthn_sent", _) => {
                return Err(Error::MfaNeedsBrowser(
                    "Duo's prompt asks for a security key or platform authenticator (WebAuthn), which it accepts only in a browser: choose Duo Push, Phone Call or Passcode with --mfa-duo-device".into(),
                ))
            }
            ("deny" | "fraud", _) | (_, Some("FAILURE")) => {
                if method == DuoFactor::Passcode {
                    return Ok(false);
                }
                let what = match method {
                    DuoFactor::Call => "Duo phone call denied",
                    _ => "Duo Push denied",
                };
                let reason = status.status.or(status.reason).unwrap_or_default();
                return Err(Error::MfaRejected {
                    result: if reason.is_empty() {
                        what.to_string()
                    } else {
                        format!("{what}: {}", reason.trim_end_matches('.'))
                    },
                });
            }
            _ => {}
        }
        if started.elapsed() > push::GIVE_UP_AFTER {
            return Err(Error::MfaTimeout);
        }
        tokio::time::sleep(flow.client.poll_interval()).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Requests and redirects

struct Flow<'a> {
    client: &'a OktaClient,
    /// The Duo origin, once Okta's redirect has named it.
    duo: Option<Url>,
    /// A redirect went from Duo back to Okta: the next `sid` Okta sets is the new session.
    back_from_duo: bool,
}

enum Side {
    Okta,
    Duo,
}

struct Page {
    url: Url,
    status: reqwest::StatusCode,
    html: String,
}

enum Arrival {
    /// A page that is not a redirect (on Duo, or on Okta without a new session).
    Page(Page),
    /// Back on Okta, which set the `sid` of a new session.
    Session(SecretString),
}

impl Flow<'_> {
    /// A request with the jar's cookies for `url`'s origin (only those); the cookies the
    /// answer sets are kept for that origin.
    async fn send(
        &self,
        method: Method,
        url: &Url,
        form: Option<&[(&str, &str)]>,
    ) -> Result<Response> {
        // Status polls are reads; the other POSTs (a form, a push, a passcode, the exit) are
        // not sent twice where Duo may have acted on them.
        let retry = if method == Method::GET || url.path().ends_with("/status") {
            Retry::Idempotent
        } else {
            Retry::Once
        };
        let cookies = self.client.cookie_header(url);
        let accept = if form.is_some() {
            "application/json, text/html;q=0.9"
        } else {
            "text/html"
        };
        let response = self
            .client
            .send_with(
                || {
                    let mut req = self
                        .client
                        .request(method.clone(), url.clone())
                        .header(ACCEPT, accept);
                    if let Some(form) = form {
                        req = req.form(form);
                    }
                    match &cookies {
                        Some(c) => req.header(COOKIE, c.expose_secret()),
                        None => req,
                    }
                },
                retry,
            )
            .await?;
        self.client.remember_cookies(url, &response);
        Ok(response)
    }

    /// Where a redirect may go: back to the Okta org, or to the Duo origin. The first hop
    /// off the org names the Duo origin and must be a Duo host.
    fn target(&mut self, from: &Url, location: &str) -> Result<(Url, Side)> {
        let url = from.join(location).map_err(|e| {
            Error::OktaResponse(format!(
                "the Duo sign-in redirected to something that is not a URL ({e})"
            ))
        })?;
        if self.client.origin().contains(&url) {
            return Ok((url, Side::Okta));
        }
        match &self.duo {
            Some(duo) if same_origin(duo, &url) => Ok((url, Side::Duo)),
            Some(duo) => Err(Error::OktaResponse(format!(
                "the Duo sign-in redirected to {}, which is neither the Okta org {} nor the Duo host {} Okta sent it to: refused, nothing was sent there",
                redact::url(url.as_str()),
                origin(self.client.origin().base()),
                origin(duo)
            ))),
            None => {
                let from_okta = self.client.origin().contains(from);
                if !from_okta || !self.acceptable_duo_host(&url) {
                    return Err(Error::OktaResponse(format!(
                        "Okta sent the Duo Universal Prompt to {}, which is not a Duo Security host (https *.duosecurity.com, *.duofederal.com): refused, nothing was sent there. \
                         aws-okta completes only Duo's prompt without a browser; for another identity provider, sign in in the browser",
                        redact::url(url.as_str())
                    )));
                }
                tracing::debug!(duo = %origin(&url), "duo universal: the prompt is on this host");
                let mut duo = url.clone();
                duo.set_path("/");
                duo.set_query(None);
                duo.set_fragment(None);
                self.duo = Some(duo);
                Ok((url, Side::Duo))
            }
        }
    }

    /// A Duo Security host over https; a loopback server only when the org is one too (tests).
    fn acceptable_duo_host(&self, url: &Url) -> bool {
        let org_is_local = crate::config::urls::is_loopback(self.client.origin().base());
        if org_is_local && crate::config::urls::is_loopback(url) {
            return url.username().is_empty() && url.password().is_none();
        }
        url.scheme() == "https" && duo::is_duo_host(url)
    }

    fn duo_origin(&self) -> Result<Url> {
        self.duo.clone().ok_or_else(|| {
            Error::OktaResponse("Okta never sent the sign-in to Duo's prompt".into())
        })
    }

    /// A page the walk ended on, which must be Duo's (Okta answering instead is an error page).
    fn on_duo(&self, page: Page) -> Result<Page> {
        match &self.duo {
            Some(duo) if same_origin(duo, &page.url) => Ok(page),
            _ => Err(Error::OktaResponse(format!(
                "Okta did not hand the sign-in to Duo's prompt: it answered HTTP {} at {}; retry, or sign in once in the browser",
                page.status.as_u16(),
                redact::url(page.url.as_str())
            ))),
        }
    }

    /// A URL from a Duo page (a form's action): on the Duo origin, nowhere else.
    fn duo_url(&self, page: &Url, target: Url) -> Result<Url> {
        let duo = self.duo_origin()?;
        if same_origin(&duo, &target) {
            Ok(target)
        } else {
            Err(Error::OktaResponse(format!(
                "Duo's page {} posts to {}, off the Duo host {}: refused, nothing was sent there",
                redact::url(page.as_str()),
                redact::url(target.as_str()),
                origin(&duo)
            )))
        }
    }

    /// Follows the redirects of an answer from `url` (each target checked) until a page, or
    /// until Okta, after Duo, sets the `sid` of a new session.
    async fn follow(&mut self, mut url: Url, mut response: Response) -> Result<Arrival> {
        for _ in 0..=MAX_REDIRECTS {
            let on_okta = self.client.origin().contains(&url);
            if on_okta && self.back_from_duo {
                if let Some(sid) = new_sid(&response) {
                    tracing::debug!("duo universal: Okta started the session");
                    return Ok(Arrival::Session(sid));
                }
            }
            let status = response.status();
            if !status.is_redirection() {
                let html = read_text(if on_okta { "Okta" } else { "Duo" }, response).await?;
                return Ok(Arrival::Page(Page { url, status, html }));
            }
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok())
                .ok_or_else(|| {
                    Error::OktaResponse(format!(
                        "{} redirected without a Location",
                        redact::url(url.as_str())
                    ))
                })?
                .to_string();
            let (next, side) = self.target(&url, &location)?;
            if matches!(side, Side::Okta) && !on_okta {
                self.back_from_duo = true;
            }
            tracing::debug!(to = %redact::url(next.as_str()), "duo universal redirect");
            response = self.send(Method::GET, &next, None).await?;
            url = next;
        }
        Err(Error::OktaResponse(
            "the Duo sign-in redirected too many times".into(),
        ))
    }
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host() == b.host()
        && a.port_or_known_default() == b.port_or_known_default()
        && b.username().is_empty()
        && b.password().is_none()
}

fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// The `sid` an answer sets (not a deletion).
fn new_sid(response: &Response) -> Option<SecretString> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(parse_set_cookie)
        .find(|c| c.name == "sid" && !c.deleted)
        .map(|c| SecretString::from(c.value))
}

// ---------------------------------------------------------------------------------------------
// Duo's JSON answers

#[derive(Deserialize)]
struct Answer<T> {
    stat: String,
    #[serde(default)]
    message: Option<String>,
    response: Option<T>,
}

#[derive(Deserialize)]
struct Started {
    txid: SecretString,
}

#[derive(Deserialize, Default)]
struct Status {
    #[serde(default)]
    status_code: Option<String>,
    #[serde(default)]
    result: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    /// Verified Duo Push: the code to type in Duo Mobile.
    #[serde(default)]
    step_up_code: Option<serde_json::Value>,
    #[serde(default)]
    risk_based_factor_selection_data: Option<serde_json::Value>,
}

impl Status {
    fn verification_code(&self) -> Option<String> {
        let value = self.step_up_code.clone().or_else(|| {
            self.risk_based_factor_selection_data
                .as_ref()?
                .get("step_up_code")
                .cloned()
        })?;
        match value {
            serde_json::Value::String(s) if !s.is_empty() => Some(s),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|_| {
        Error::OktaResponse(
            "Duo answered with something that is not its prompt's JSON: retry, or sign in once in the browser"
                .into(),
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Duo's pages

/// Form fields in order; values are zeroized when dropped (`sid`, `_xsrf`, passcodes).
#[derive(Clone, Default)]
struct Fields(Vec<(String, Zeroizing<String>)>);

impl Fields {
    fn push(&mut self, name: &str, value: &str) {
        self.0
            .push((name.to_string(), Zeroizing::new(value.to_string())));
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn as_pairs(&self) -> Vec<(&str, &str)> {
        self.0
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }
}

/// The login form of Duo's prompt page.
struct Prompt {
    url: Url,
    action: Url,
    /// Its own inputs (outside the per-device factor lists), sent back as they are.
    fields: Fields,
    sid: Zeroizing<String>,
    xsrf: Zeroizing<String>,
    /// `(value, label)` of the device list.
    devices: Vec<(String, String)>,
    /// The factors Duo lists for each device (`data-device-index` fieldsets).
    factors: Vec<(String, Vec<String>)>,
    preferred_device: Option<String>,
}

impl Prompt {
    fn read(page: &Page) -> Result<Prompt> {
        let Some(form) = find_form(&page.html, "login-form") else {
            let single_page_app = crate::html::pieces(&page.html).any(|p| {
                matches!(p, crate::html::Piece::Start(tag) if tag.attr("data-authkey").is_some())
            });
            if single_page_app {
                return Err(Error::MfaNeedsBrowser(
                    "Duo's prompt for this account is its newer web app, which runs only in a browser: aws-okta cannot answer it".into(),
                ));
            }
            return Err(Error::MfaNeedsBrowser(format!(
                "Duo's prompt ({}, HTTP {}) offers no sign-in form aws-okta can fill in: Duo's policy may deny this device, or want a step that only its prompt in a browser can do",
                redact::url(page.url.as_str()),
                page.status.as_u16()
            )));
        };
        let fields = form.hidden_fields(&["factor", "device", "passcode"]);
        let sid = fields
            .get("sid")
            .map(str::to_string)
            .or_else(|| query_value(&page.url, "sid"))
            .ok_or_else(|| Error::OktaResponse("Duo's login form has no sid".into()))?;
        let xsrf = fields.get("_xsrf").unwrap_or("").to_string();
        let preferred_device = fields
            .get("preferred_device")
            .filter(|d| !d.is_empty() && *d != "None")
            .map(str::to_string);
        let action = form.action_url(&page.url)?;
        Ok(Prompt {
            url: page.url.clone(),
            action,
            fields,
            sid: Zeroizing::new(sid),
            xsrf: Zeroizing::new(xsrf),
            devices: form.devices,
            factors: form.factors,
            preferred_device,
        })
    }

    /// The device and factor to use: the user's choice checked against what Duo lists.
    fn choose(&self, choice: &Choice) -> Result<(String, DuoFactor)> {
        let usable = |factors: &[String]| {
            factors.iter().any(|f| {
                [DuoFactor::Push, DuoFactor::Call, DuoFactor::Passcode]
                    .iter()
                    .any(|m| f.eq_ignore_ascii_case(m.duo_name()))
            })
        };
        if !self.factors.is_empty() && !self.factors.iter().any(|(_, f)| usable(f)) {
            let offered: Vec<&str> = self
                .factors
                .iter()
                .flat_map(|(_, f)| f.iter().map(String::as_str))
                .collect();
            return Err(Error::MfaNeedsBrowser(format!(
                "Duo offers this account only {}, which its prompt accepts only in a browser (a security key, Touch ID or Windows Hello): aws-okta can use Duo Push, Phone Call or Passcode",
                if offered.is_empty() { "factors aws-okta does not know".to_string() } else { offered.join(", ") }
            )));
        }
        let listing = || {
            self.devices
                .iter()
                .map(|(v, l)| format!("{v} ({l})"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let device = match &choice.device {
            Some(wanted) => self
                .devices
                .iter()
                .find(|(v, _)| v.eq_ignore_ascii_case(wanted))
                .map(|(v, _)| v.clone())
                .ok_or_else(|| {
                    Error::Mfa(format!(
                        "Duo lists no device '{wanted}' for you; its devices: {}. Choose one with --mfa-duo-device (or mfa_duo_device)",
                        listing()
                    ))
                })?,
            // Duo's preferred device if it offers the factor, else the first that does.
            None => {
                let offers = |device: &str| {
                    self.factors
                        .iter()
                        .find(|(d, _)| d == device)
                        .is_none_or(|(_, f)| {
                            f.iter()
                                .any(|f| f.eq_ignore_ascii_case(choice.method.duo_name()))
                        })
                };
                let listed: Vec<&str> = self.devices.iter().map(|(v, _)| v.as_str()).collect();
                self.preferred_device
                    .as_deref()
                    .filter(|p| listed.contains(p))
                    .into_iter()
                    .chain(listed.iter().copied())
                    .find(|d| offers(d))
                    .or(self.preferred_device.as_deref().filter(|p| listed.contains(p)))
                    .or(listed.first().copied())
                    .unwrap_or("None")
                    .to_string()
            }
        };
        if let Some((_, offered)) = self.factors.iter().find(|(d, _)| *d == device) {
            if !offered
                .iter()
                .any(|f| f.eq_ignore_ascii_case(choice.method.duo_name()))
            {
                return Err(Error::Mfa(format!(
                    "Duo offers {} on {device}, not {}: choose another with --mfa-duo-device (e.g. '{device}:{}')",
                    offered.join(", "),
                    choice.method.duo_name(),
                    offered.first().map(String::as_str).unwrap_or("Passcode")
                )));
            }
        }
        Ok((device, choice.method))
    }
}

fn query_value(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// One form of a page, as far as the prompt needs it.
struct Form {
    action: Option<String>,
    /// Inputs outside fieldsets: `(name, value)`.
    inputs: Vec<(String, String)>,
    /// Options of `<select name="device">`: `(value, label)`.
    devices: Vec<(String, String)>,
    /// `data-device-index` fieldsets and the `factor` inputs inside them.
    factors: Vec<(String, Vec<String>)>,
}

impl Form {
    /// The inputs to send back, without `skip` (which the caller sets itself).
    fn hidden_fields(&self, skip: &[&str]) -> Fields {
        let mut fields = Fields::default();
        for (name, value) in &self.inputs {
            if !skip.contains(&name.as_str()) && fields.get(name).is_none() {
                fields.push(name, value);
            }
        }
        fields
    }

    /// The action resolved against the page (the page itself when there is none).
    fn action_url(&self, page: &Url) -> Result<Url> {
        match self.action.as_deref().filter(|a| !a.trim().is_empty()) {
            Some(action) => page
                .join(action.trim())
                .map_err(|e| Error::OktaResponse(format!("Duo's form has a bad action ({e})"))),
            None => Ok(page.clone()),
        }
    }
}

fn find_form(html: &str, id: &str) -> Option<Form> {
    use crate::html::Piece;
    let mut pieces = crate::html::pieces(html).skip_while(
        |p| !matches!(p, Piece::Start(tag) if tag.name == "form" && tag.attr("id") == Some(id)),
    );
    let Some(Piece::Start(start)) = pieces.next() else {
        return None;
    };
    let mut form = Form {
        action: start.attr("action").map(str::to_string),
        inputs: Vec::new(),
        devices: Vec::new(),
        factors: Vec::new(),
    };
    let mut in_device_select = false;
    // The device option whose label is being read: its value and text so far.
    let mut option: Option<(String, String)> = None;
    let mut fieldset: Option<usize> = None;
    let mut depth = 0usize;
    for piece in pieces {
        if !matches!(piece, Piece::Text(_)) {
            if let Some((value, label)) = option.take() {
                form.devices.push((value, label.trim().to_string()));
            }
        }
        match piece {
            Piece::Text(text) => {
                if let Some((_, label)) = option.as_mut() {
                    label.push_str(&text);
                }
            }
            Piece::Start(tag) if tag.name == "form" => break,
            Piece::End(name) if name == "form" => break,
            Piece::Start(tag) if tag.name == "select" => {
                in_device_select = tag.attr("name") == Some("device");
            }
            Piece::End(name) if name == "select" => in_device_select = false,
            Piece::Start(tag) if tag.name == "option" && in_device_select => {
                option = Some((tag.attr("value").unwrap_or("").to_string(), String::new()));
            }
            Piece::Start(tag) if tag.name == "fieldset" => {
                depth += 1;
                if let Some(device) = tag.attr("data-device-index") {
                    form.factors.push((device.to_string(), Vec::new()));
                    fieldset = Some(depth);
                }
            }
            Piece::End(name) if name == "fieldset" => {
                if fieldset == Some(depth) {
                    fieldset = None;
                }
                depth = depth.saturating_sub(1);
            }
            Piece::Start(tag) if tag.name == "input" => {
                let Some(name) = tag.attr("name") else {
                    continue;
                };
                let value = tag.attr("value").unwrap_or("").to_string();
                if depth > 0 {
                    if let (Some(_), "factor", Some((_, factors))) =
                        (fieldset, name, form.factors.last_mut())
                    {
                        factors.push(value);
                    }
                } else {
                    form.inputs.push((name.to_string(), value));
                }
            }
            _ => {}
        }
    }
    Some(form)
}

/// Okta Classic's custom IdP factor (`claims_provider`): the Duo Universal Prompt (another IdP
/// behind it is refused at its first redirect).
pub struct DuoUniversal;

impl MfaFactor for DuoUniversal {
    fn serves(&self, factor_type: &str, _provider: &str) -> bool {
        factor_type == "claims_provider"
    }
    /// The admin names the IdP (e.g. "Duo Universal Prompt"); the sign-in page shows that.
    fn name(&self, factor: &Factor) -> String {
        factor
            .vendor_name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or("Duo Universal Prompt")
            .into()
    }
    fn verify<'a>(&'a self, step: Step<'a>) -> VerifyFuture<'a> {
        Box::pin(verify(
            step.client,
            step.href,
            step.state_token,
            step.context.duo_device.as_deref(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOGIN: &str = r#"<html><script>if (a < b) { x = "<form id='login-form'>"; }</script>
<form action="/frame/prompt" method="post" id="login-form" class="inline login-form hidden">
<input type="hidden" name="sid" value="frameless-1&#x2d;2">
<input type="hidden" name="_xsrf" value="xs" />
<input type="hidden" name="preferred_factor" value="Duo&#x20;Push">
<input type="hidden" name="preferred_device" value="phone2">
<select name="device" aria-label="Device">
<option value="phone1">Phone 1 &#x28;XXX-XXX-1111&#x29;</option>
<option value="phone2">Phone 2 (XXX-XXX-2222)</option>
</select>
<div id="auth_methods">
<fieldset data-device-index="phone1" class="hidden">
<input type="hidden" name="factor" value="Duo&#x20;Push">
<input type="hidden" name="factor" value="Passcode">
<input name="phone-smsable" type="hidden" value="True" />
</fieldset>
<fieldset data-device-index="phone2"><input type="hidden" name="factor" value="Duo Push">
<input type="hidden" name="factor" value="Phone Call"></fieldset>
<input type="hidden" name="has-token" value="false">
</div></form>
<form class="oidc-exit-form" action="/frame/prompt/oidc/exit" method="POST">
<input type="hidden" name="txid" value="" /></form></html>"#;

    fn page(html: &str) -> Page {
        Page {
            url: Url::parse("https://api-1.duosecurity.com/frame/prompt?sid=frameless-1-2")
                .unwrap(),
            status: reqwest::StatusCode::OK,
            html: html.into(),
        }
    }

    #[test]
    fn reads_the_login_form_devices_and_factors() {
        let prompt = Prompt::read(&page(LOGIN)).unwrap();
        assert_eq!(prompt.sid.as_str(), "frameless-1-2");
        assert_eq!(prompt.xsrf.as_str(), "xs");
        assert_eq!(
            prompt.action.as_str(),
            "https://api-1.duosecurity.com/frame/prompt"
        );
        assert_eq!(
            prompt.devices,
            [
                ("phone1".to_string(), "Phone 1 (XXX-XXX-1111)".to_string()),
                ("phone2".to_string(), "Phone 2 (XXX-XXX-2222)".to_string())
            ]
        );
        assert_eq!(prompt.factors[0].1, ["Duo Push", "Passcode"]);
        assert_eq!(prompt.factors[1].1, ["Duo Push", "Phone Call"]);
        let names: Vec<&str> = prompt.fields.0.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "sid",
                "_xsrf",
                "preferred_factor",
                "preferred_device",
                "has-token"
            ]
        );
        assert_eq!(prompt.fields.get("preferred_factor"), Some("Duo Push"));
    }

    #[test]
    fn the_choice_is_checked_against_what_duo_lists() {
        let prompt = Prompt::read(&page(LOGIN)).unwrap();
        let pick = |v: &str| prompt.choose(&Choice::parse(Some(v)));
        // Duo's preferred device by default, Duo Push by default.
        assert_eq!(
            prompt.choose(&Choice::parse(None)).unwrap(),
            ("phone2".into(), DuoFactor::Push)
        );
        assert_eq!(pick("PHONE1").unwrap(), ("phone1".into(), DuoFactor::Push));
        assert_eq!(
            pick("phone2:Phone Call").unwrap(),
            ("phone2".into(), DuoFactor::Call)
        );
        assert_eq!(pick("passcode:phone1").unwrap().1, DuoFactor::Passcode);
        // Without a device: the preferred one offers no passcode, phone1 does.
        assert_eq!(
            pick("passcode").unwrap(),
            ("phone1".into(), DuoFactor::Passcode)
        );
        assert_eq!(pick("call").unwrap(), ("phone2".into(), DuoFactor::Call));
        let err = pick("phone1:call").unwrap_err().to_string();
        assert!(err.contains("Duo Push, Passcode on phone1"), "{err}");
        let err = pick("tablet9").unwrap_err().to_string();
        assert!(err.contains("phone1 (Phone 1 (XXX-XXX-1111))"), "{err}");
    }

    #[test]
    fn choices_parse_devices_and_factor_names() {
        let c = |v: &str| Choice::parse(Some(v));
        assert_eq!(c("phone2").device.as_deref(), Some("phone2"));
        assert_eq!(c("phone2").method, DuoFactor::Push);
        for (value, method) in [
            ("Duo Push", DuoFactor::Push),
            ("phone call", DuoFactor::Call),
            ("CALL", DuoFactor::Call),
            ("passcode", DuoFactor::Passcode),
            ("token", DuoFactor::Passcode),
        ] {
            assert_eq!(c(value).method, method, "{value}");
            assert_eq!(c(value).device, None, "{value}");
        }
        assert_eq!(Choice::parse(None).method, DuoFactor::Push);
    }

    #[test]
    fn factors_that_need_a_browser_are_named() {
        let html = r#"<form id="login-form" action="/frame/prompt"><input type="hidden" name="sid" value="s">
<select name="device"><option value="WA1" name="webauthn">Security key</option></select>
<fieldset data-device-index="WA1"><input type="hidden" name="factor" value="WebAuthn Credential"></fieldset></form>"#;
        let prompt = Prompt::read(&page(html)).unwrap();
        let err = prompt.choose(&Choice::parse(None)).unwrap_err();
        assert!(matches!(err, Error::MfaNeedsBrowser(_)), "{err}");
        assert!(err.to_string().contains("WebAuthn Credential"), "{err}");
        for html in [
            "<html><body><h1>Access denied</h1></body></html>",
            r#"<div id="root" data-akey="DA1" data-authkey="x"></div>"#,
        ] {
            let err = Prompt::read(&page(html)).err().unwrap();
            assert!(matches!(err, Error::MfaNeedsBrowser(_)), "{err}");
        }
    }

    #[test]
    fn plugin_form_fields_go_back_as_they_are() {
        let html = r#"<form method="post" id="plugin_form">
<input type="hidden" name="tx" value="t.x" /><input type="hidden" name="parent" value="None" />
<input type="hidden" name="_xsrf" value="x" /><input type="hidden" name="java_version" value="" />
</form>"#;
        let form = find_form(html, "plugin_form").unwrap();
        let fields = form.hidden_fields(&[]);
        assert_eq!(
            fields.as_pairs(),
            [
                ("tx", "t.x"),
                ("parent", "None"),
                ("_xsrf", "x"),
                ("java_version", "")
            ]
        );
        let page =
            Url::parse("https://api-1.duosecurity.com/frame/frameless/v4/auth?sid=s&tx=t").unwrap();
        assert_eq!(form.action_url(&page).unwrap(), page);
    }

    fn flow(client: &OktaClient) -> Flow<'_> {
        Flow {
            client,
            duo: None,
            back_from_duo: false,
        }
    }

    #[test]
    fn redirects_go_only_to_the_org_and_the_duo_host_okta_named() {
        let client = OktaClient::new(
            Url::parse("https://example.okta.com/").unwrap(),
            &Default::default(),
        )
        .unwrap();
        let okta = Url::parse("https://example.okta.com/sso/idps/0oa1?stateToken=x").unwrap();
        for evil in [
            "https://evil.example/oauth/v1/authorize",
            "https://api-1.duosecurity.com.evil.example/x",
            "http://api-1.duosecurity.com/x",
            "https://user@api-1.duosecurity.com/x",
            "http://127.0.0.1:9/x",
        ] {
            let err = flow(&client).target(&okta, evil).err().unwrap().to_string();
            assert!(err.contains("not a Duo Security host"), "{evil}: {err}");
        }
        let mut f = flow(&client);
        let (url, side) = f
            .target(
                &okta,
                "https://api-1.duosecurity.com/oauth/v1/authorize?x=1",
            )
            .unwrap();
        assert!(matches!(side, Side::Duo));
        // From now on Duo is that one origin; the way back is the org.
        for other in [
            "https://api-2.duosecurity.com/frame/prompt",
            "https://evil.example/",
            "https://api-1.duosecurity.com:8443/",
        ] {
            let err = f.target(&url, other).err().unwrap().to_string();
            assert!(err.contains("neither the Okta org"), "{other}: {err}");
        }
        assert!(matches!(
            f.target(&url, "/frame/frameless/v4/auth?sid=s").unwrap().1,
            Side::Duo
        ));
        assert!(matches!(
            f.target(
                &url,
                "https://example.okta.com/oauth2/v1/authorize/callback?code=c"
            )
            .unwrap()
            .1,
            Side::Okta
        ));
        let action = Url::parse("https://evil.example/frame/prompt").unwrap();
        assert!(f.duo_url(&url, action).is_err());
    }

    #[test]
    fn loopback_duo_hosts_only_for_loopback_orgs() {
        let client = OktaClient::new(
            Url::parse("http://127.0.0.1:8080/").unwrap(),
            &Default::default(),
        )
        .unwrap();
        let okta = Url::parse("http://127.0.0.1:8080/sso/idps/0oa1").unwrap();
        assert!(flow(&client)
            .target(&okta, "http://127.0.0.1:9/oauth/v1/authorize")
            .is_ok());
        // Duo never names the Duo host: only Okta's redirect does.
        let duo = Url::parse("http://127.0.0.1:9/x").unwrap();
        assert!(flow(&client).target(&duo, "http://127.0.0.1:10/").is_err());
    }

    #[test]
    fn verified_push_codes_are_read_from_either_place() {
        let s: Status = serde_json::from_str(
            r#"{"status_code":"pushed","risk_based_factor_selection_data":{"step_up_code":"482"}}"#,
        )
        .unwrap();
        assert_eq!(s.verification_code().as_deref(), Some("482"));
        let s: Status =
            serde_json::from_str(r#"{"status_code":"pushed","step_up_code":917}"#).unwrap();
        assert_eq!(s.verification_code().as_deref(), Some("917"));
    }
}
