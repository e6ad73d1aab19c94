//! Factor verification (`POST /api/v1/authn/factors/{id}/verify`): push with polling and
//! number challenge, codes (TOTP, SMS, call, email, hardware tokens), security questions,
//! Duo, Duo Universal and WebAuthn; and resends.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use rand::Rng;
use serde_json::{json, Value};

use super::okta_json::{
    cancel_link, error_body, factor_json, invalid_token, named_link, not_found, okta_time, opt_str,
    parse_object, policy_json, prev_link, user_json, verify_href, wrong_state,
};
use super::transaction::{next_step, state_token_of, step_response, transaction_token, Step};
use crate::http::{base_url, json_response, now, query_param, random_token};
use crate::{Factor, PushBehavior, ServerState};

pub(super) enum Outcome {
    Waiting {
        challenge: Option<u32>,
    },
    Terminal(&'static str),
    Approved,
    BadPasscode,
    /// A code was sent (SMS, call, email) or a WebAuthn challenge issued:
    /// `factorResult: CHALLENGE`, `_links.next` named `verify`.
    Challenge {
        embedded: Option<Value>,
        resend: Option<&'static str>,
    },
    /// Duo: `factorResult: WAITING` with `_embedded.verification`.
    DuoWaiting {
        signature: String,
    },
    /// Custom IdP (Duo Universal): `factorResult: CHALLENGE`, `_links.next` a GET that
    /// redirects to the IdP.
    IdpRedirect,
}

pub(super) async fn verify(
    State(state): State<ServerState>,
    Path(factor_id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let base = base_url(&headers);
    let body = match parse_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut fields = HashMap::new();
    for key in [
        "passCode",
        "answer",
        "clientData",
        "authenticatorData",
        "signatureData",
    ] {
        match opt_str(&body, key) {
            Ok(Some(v)) => {
                fields.insert(key, v.to_string());
            }
            Ok(None) => {}
            Err(r) => return r,
        }
    }
    let pass_code = fields.get("passCode").cloned();
    let token = match state_token_of(&state, &body) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let config = state.config();
    let Some(factor) = config.factors.iter().find(|f| f.id() == factor_id) else {
        return not_found(&format!(
            "Not found: Resource not found: {factor_id} (Factor)"
        ));
    };
    let remember = query_param(&uri, "rememberDevice").as_deref() == Some("true");
    let host = base.trim_start_matches("http://").to_string();
    let rp_id = host
        .rsplit_once(':')
        .map(|(h, _)| h.to_string())
        .unwrap_or_else(|| host.clone());

    let outcome = {
        let mut guard = state.data();
        let data = &mut *guard;
        let Some(txn) = data.transactions.get_mut(&token) else {
            return invalid_token();
        };
        if !matches!(next_step(&state, txn), Step::MfaRequired) {
            return wrong_state();
        }
        if remember {
            txn.remember_device = true;
        }
        let first_call = txn.verified_once.insert(factor_id.clone());
        let mut sent = false;
        let mut polled = false;
        let mut codes_sent = 0;
        let mut webauthn_ok = false;
        let outcome = match factor {
            Factor::Totp { code, .. }
            | Factor::YubiKey { code, .. }
            | Factor::Token { code, .. } => match pass_code.as_deref() {
                Some(p) if p == code => {
                    txn.mfa_done = true;
                    Outcome::Approved
                }
                Some(_) => Outcome::BadPasscode,
                // Okta answers a missing passcode like a wrong one.
                None => Outcome::BadPasscode,
            },
            Factor::Sms { code, .. } | Factor::Call { code, .. } | Factor::Email { code, .. } => {
                match pass_code.as_deref() {
                    None => {
                        txn.challenged.insert(factor_id.clone());
                        codes_sent += 1;
                        Outcome::Challenge {
                            embedded: None,
                            resend: Some(match factor {
                                Factor::Sms { .. } => "sms",
                                Factor::Call { .. } => "call",
                                _ => "email",
                            }),
                        }
                    }
                    Some(p) if txn.challenged.contains(&factor_id) && p == code => {
                        txn.mfa_done = true;
                        Outcome::Approved
                    }
                    Some(_) => Outcome::BadPasscode,
                }
            }
            Factor::Question { answer, .. } => match fields.get("answer") {
                Some(a) if a.trim().eq_ignore_ascii_case(answer.trim()) => {
                    txn.mfa_done = true;
                    Outcome::Approved
                }
                Some(_) => Outcome::BadPasscode,
                None => Outcome::BadPasscode,
            },
            Factor::WebAuthn { public_key, .. } => {
                match (
                    fields.get("clientData"),
                    fields.get("authenticatorData"),
                    fields.get("signatureData"),
                    txn.webauthn_challenges.get(&factor_id),
                ) {
                    (Some(cd), Some(ad), Some(sig), Some(challenge)) => {
                        match crate::webauthn::verify_assertion(
                            public_key, challenge, &base, &rp_id, cd, ad, sig,
                        ) {
                            Ok(()) => {
                                txn.webauthn_challenges.remove(&factor_id);
                                txn.mfa_done = true;
                                webauthn_ok = true;
                                Outcome::Approved
                            }
                            Err(_) => Outcome::BadPasscode,
                        }
                    }
                    _ => {
                        let mut bytes = [0u8; 32];
                        rand::thread_rng().fill(&mut bytes);
                        let challenge = base64::Engine::encode(
                            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                            bytes,
                        );
                        txn.webauthn_challenges
                            .insert(factor_id.clone(), challenge.clone());
                        Outcome::Challenge {
                            embedded: Some(json!({
                                "challenge": {
                                    "challenge": challenge,
                                    "extensions": { "appid": base },
                                }
                            })),
                            resend: None,
                        }
                    }
                }
            }
            Factor::Duo { .. } => match txn.duo_pending.get(&factor_id).cloned() {
                Some(tx) => {
                    polled = true;
                    match data.duo.get(&tx) {
                        Some(d) if d.completed => {
                            txn.duo_pending.remove(&factor_id);
                            txn.mfa_done = true;
                            Outcome::Approved
                        }
                        Some(d) => Outcome::DuoWaiting {
                            signature: format!("{tx}:{}", d.app),
                        },
                        None => Outcome::Terminal("ERROR"),
                    }
                }
                None => {
                    let tx = format!("TX|{}|{}", random_token("", 40), random_token("", 40));
                    let app = format!("APP|{}|{}", random_token("", 40), random_token("", 40));
                    data.duo.insert(
                        tx.clone(),
                        crate::DuoTx {
                            state_token: token.clone(),
                            factor_id: factor_id.clone(),
                            app: app.clone(),
                            sid: None,
                            txid: None,
                            polls: 0,
                            passcode_ok: None,
                            cookie: None,
                            completed: false,
                        },
                    );
                    txn.duo_pending.insert(factor_id.clone(), tx.clone());
                    data.issued.push(tx.clone());
                    data.issued.push(app.clone());
                    Outcome::DuoWaiting {
                        signature: format!("{tx}:{app}"),
                    }
                }
            },
            Factor::DuoUniversal { .. } => Outcome::IdpRedirect,
            Factor::Push {
                behavior,
                number_challenge,
                ..
            } => match txn.pending_push.get(&factor_id).copied() {
                // No push pending: this call sends one.
                None => {
                    sent = true;
                    if matches!(behavior, PushBehavior::ApproveAfter(0)) {
                        txn.mfa_done = true;
                        Outcome::Approved
                    } else {
                        txn.pending_push.insert(factor_id.clone(), 0);
                        Outcome::Waiting { challenge: None }
                    }
                }
                // A push is pending: this call is a poll.
                Some(polls) => {
                    polled = true;
                    let polls = polls + 1;
                    match behavior {
                        PushBehavior::ApproveAfter(n) if polls >= *n => {
                            txn.pending_push.remove(&factor_id);
                            txn.mfa_done = true;
                            Outcome::Approved
                        }
                        PushBehavior::ApproveAfter(_) => {
                            txn.pending_push.insert(factor_id.clone(), polls);
                            Outcome::Waiting {
                                challenge: *number_challenge,
                            }
                        }
                        PushBehavior::Reject => {
                            txn.pending_push.remove(&factor_id);
                            Outcome::Terminal("REJECTED")
                        }
                        PushBehavior::Timeout => {
                            txn.pending_push.remove(&factor_id);
                            Outcome::Terminal("TIMEOUT")
                        }
                    }
                }
            },
        };
        if first_call {
            data.counters.verify += 1;
        }
        if sent {
            data.counters.pushes += 1;
        }
        if polled && matches!(factor, Factor::Push { .. }) {
            data.counters.polls += 1;
        }
        if webauthn_ok {
            data.counters.webauthn_verified += 1;
        }
        data.counters.codes_sent += codes_sent;
        if matches!(outcome, Outcome::BadPasscode) {
            data.counters.bad_codes += 1;
        }
        outcome
    };

    let href = verify_href(&base, &factor_id);
    match outcome {
        Outcome::BadPasscode => json_response(
            StatusCode::FORBIDDEN,
            error_body(
                "E0000068",
                "Invalid Passcode/Answer",
                &["Your passcode doesn't match our records. Please try again."],
            ),
        ),
        Outcome::Approved => step_response(&state, &base, &token),
        Outcome::Waiting { challenge } => {
            let mut factor_v = factor_json(&base, factor, &config.username, false);
            if let Some(n) = challenge {
                factor_v["_embedded"] = json!({ "challenge": { "correctAnswer": n } });
            }
            challenge_response(
                &state,
                &token,
                "WAITING",
                factor_v,
                json!({
                    "next": named_link("poll", href.clone(), &["POST"]),
                    "cancel": cancel_link(&base),
                    "prev": prev_link(&base),
                    "resend": [named_link("push", format!("{href}/resend"), &["POST"])],
                }),
            )
        }
        Outcome::Challenge { embedded, resend } => {
            let mut factor_v = factor_json(&base, factor, &config.username, false);
            if let Some(e) = embedded {
                factor_v["_embedded"] = e;
            }
            let mut links = json!({
                "next": named_link("verify", href.clone(), &["POST"]),
                "cancel": cancel_link(&base),
                "prev": prev_link(&base),
            });
            if let Some(kind) = resend {
                links["resend"] = json!([named_link(kind, format!("{href}/resend"), &["POST"])]);
            }
            challenge_response(&state, &token, "CHALLENGE", factor_v, links)
        }
        Outcome::DuoWaiting { signature } => {
            let mut factor_v = factor_json(&base, factor, &config.username, false);
            factor_v["_embedded"] = json!({
                "verification": {
                    "host": host,
                    "signature": signature,
                    "factorResult": "WAITING",
                    "_links": {
                        "complete": {
                            "href": format!("{base}/api/v1/authn/factors/{factor_id}/lifecycle/duoCallback"),
                        },
                        "script": {
                            "href": format!("{base}/js/sdk/duo/Duo-Web-v2.6.js"),
                        },
                    },
                }
            });
            challenge_response(
                &state,
                &token,
                "WAITING",
                factor_v,
                json!({
                    "next": named_link("poll", href.clone(), &["POST"]),
                    "cancel": cancel_link(&base),
                    "prev": prev_link(&base),
                }),
            )
        }
        Outcome::IdpRedirect => challenge_response(
            &state,
            &token,
            "CHALLENGE",
            factor_json(&base, factor, &config.username, false),
            json!({
                "next": named_link(
                    "redirect",
                    format!(
                        "{base}/sso/idps/{}?stateToken={token}",
                        crate::duo_universal::IDP_ID
                    ),
                    &["GET"],
                ),
                "cancel": cancel_link(&base),
                "prev": prev_link(&base),
            }),
        ),
        Outcome::Terminal(result) => {
            let factor_v = factor_json(&base, factor, &config.username, false);
            challenge_response(
                &state,
                &token,
                result,
                factor_v,
                json!({
                    "next": named_link("verify", href, &["POST"]),
                    "cancel": cancel_link(&base),
                    "prev": prev_link(&base),
                }),
            )
        }
    }
}

pub(super) fn challenge_response(
    state: &ServerState,
    token: &str,
    factor_result: &str,
    factor: Value,
    links: Value,
) -> Response {
    let expires_at = state
        .data()
        .transactions
        .get(token)
        .map(|t| okta_time(t.expires_at))
        .unwrap_or_else(|| okta_time(now()));
    json_response(
        StatusCode::OK,
        json!({
            "stateToken": token,
            "expiresAt": expires_at,
            "status": "MFA_CHALLENGE",
            "factorResult": factor_result,
            "_embedded": {
                "user": user_json(state),
                "factor": factor,
                "policy": policy_json(state),
            },
            "_links": links,
        }),
    )
}

/// `POST .../verify/resend`: sends the push, text, call or email again.
pub(super) async fn verify_resend(
    State(state): State<ServerState>,
    Path(factor_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let base = base_url(&headers);
    let token = match transaction_token(&state, &body) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let config = state.config();
    let Some(factor) = config.factors.iter().find(|f| {
        f.id() == factor_id
            && matches!(
                f,
                Factor::Push { .. }
                    | Factor::Sms { .. }
                    | Factor::Call { .. }
                    | Factor::Email { .. }
            )
    }) else {
        return not_found(&format!(
            "Not found: Resource not found: {factor_id} (Factor)"
        ));
    };
    let is_push = matches!(factor, Factor::Push { .. });
    {
        let mut data = state.data();
        let Some(txn) = data.transactions.get_mut(&token) else {
            return invalid_token();
        };
        if !matches!(next_step(&state, txn), Step::MfaRequired) {
            return wrong_state();
        }
        if is_push {
            txn.pending_push.insert(factor_id.clone(), 0);
            data.counters.pushes += 1;
        } else {
            txn.challenged.insert(factor_id.clone());
            data.counters.codes_sent += 1;
        }
    }
    let href = verify_href(&base, &factor_id);
    let kind = match factor {
        Factor::Push { .. } => "push",
        Factor::Sms { .. } => "sms",
        Factor::Call { .. } => "call",
        _ => "email",
    };
    challenge_response(
        &state,
        &token,
        if is_push { "WAITING" } else { "CHALLENGE" },
        factor_json(&base, factor, &config.username, false),
        json!({
            "next": named_link(if is_push { "poll" } else { "verify" }, href.clone(), &["POST"]),
            "cancel": cancel_link(&base),
            "prev": prev_link(&base),
            "resend": [named_link(kind, format!("{href}/resend"), &["POST"])],
        }),
    )
}
