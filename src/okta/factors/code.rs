//! Factors answered with something the user types: time-based codes, codes sent by SMS, voice
//! call or email, hardware tokens (YubiKey OTP, RSA SecurID, Symantec VIP) and security
//! questions. A rejected code (403 `E0000068`) asks again, up to three attempts in all.
use crate::okta::wire::AuthnResponse;
use crate::okta::OktaClient;
use crate::terminal;
use crate::{Error, Result};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use url::Url;
use zeroize::Zeroizing;

pub const ATTEMPTS: u32 = 3;
/// Typed instead of a code to have an SMS, call or email sent again.
const RESEND_WORD: &str = "resend";

pub struct Prompt {
    /// What to ask, e.g. "Enter the code sent to +1 XXX-XXX-2345".
    pub text: String,
    /// The JSON field Okta expects: `passCode`, or `answer` for security questions.
    pub field: &'static str,
    /// Hide what is typed (security question answers).
    pub hidden: bool,
    /// `_links.resend` of the challenge, when the code can be sent again.
    pub resend: Option<Url>,
}

impl Prompt {
    /// A prompt for a code the user already has (nothing to send again).
    pub fn typed(text: impl Into<String>, field: &'static str, hidden: bool) -> Prompt {
        Prompt {
            text: text.into(),
            field,
            hidden,
            resend: None,
        }
    }
}

/// The verify step of a factor answered with one typed code: ask with `prompt`, post, repeat
/// on a rejection.
pub fn verify_typed(step: super::Step<'_>, prompt: Prompt) -> super::VerifyFuture<'_> {
    Box::pin(async move {
        submit(step.client, step.href, step.state_token, &prompt)
            .await
            .map(super::Verified::next)
    })
}

/// Reads codes and posts them to `href` until Okta accepts one or three were rejected.
pub async fn submit(
    client: &OktaClient,
    href: Url,
    state_token: &SecretString,
    prompt: &Prompt,
) -> Result<AuthnResponse> {
    let interactive = terminal::interactive();
    let mut rejections = 0;
    let mut resends = 0;
    loop {
        let code = match read(interactive, prompt)? {
            Some(code) => code,
            None if rejections > 0 => return Err(rejected(rejections)),
            None => {
                return Err(Error::Mfa(
                    "no MFA code given: run in a terminal, or pipe the code on stdin".into(),
                ))
            }
        };
        if code.trim().eq_ignore_ascii_case(RESEND_WORD) {
            match &prompt.resend {
                Some(link) if resends < ATTEMPTS => {
                    resends += 1;
                    let body = json!({"stateToken": state_token.expose_secret()});
                    client
                        .post_json::<AuthnResponse>(link.clone(), &body)
                        .await??;
                    crate::notice!("Sent again.");
                }
                _ => crate::notice!("This code cannot be sent again now."),
            }
            continue;
        }
        let body = json!({"stateToken": state_token.expose_secret(), prompt.field: code.trim()});
        let outcome = client
            .post_json::<AuthnResponse>(href.clone(), &body)
            .await?;
        drop(body);
        let reason = match outcome {
            Ok(response)
                if response.status == "MFA_CHALLENGE"
                    && matches!(
                        response.factor_result.as_deref(),
                        Some("PASSCODE_REPLAYED" | "TIME_WINDOW_EXCEEDED")
                    ) =>
            {
                "that code was already used or is out of its time window"
            }
            Ok(response) => return Ok(response),
            Err(e) if e.body.error_code == "E0000068" => "that code was not accepted",
            Err(e) => return Err(e.into()),
        };
        rejections += 1;
        if rejections >= ATTEMPTS {
            return Err(rejected(rejections));
        }
        crate::notice!(
            "Okta: {reason}; try again ({} left).",
            ATTEMPTS - rejections
        );
    }
}

fn rejected(times: u32) -> Error {
    Error::Mfa(format!(
        "Okta rejected the MFA code{}: retry with a fresh code",
        if times > 1 {
            format!(" {times} times")
        } else {
            String::new()
        }
    ))
}

/// One code from the terminal, or one line of stdin (for scripts); `None` at end of input.
fn read(interactive: bool, prompt: &Prompt) -> Result<Option<Zeroizing<String>>> {
    // Before the terminal or stdin is touched: after `exec --server` handed them over, this
    // is `NeedsInput`, not an MFA failure.
    terminal::may_ask(&prompt.text)?;
    let text = if prompt.resend.is_some() {
        format!("{} (or type '{RESEND_WORD}')", prompt.text)
    } else {
        prompt.text.clone()
    };
    let code = if interactive {
        if prompt.hidden {
            terminal::password(&text)
        } else {
            terminal::input(&text).map(Zeroizing::new)
        }
    } else {
        terminal::read_stdin_line()
    }
    .map_err(Error::Mfa)?;
    Ok((!code.trim().is_empty()).then_some(code))
}
