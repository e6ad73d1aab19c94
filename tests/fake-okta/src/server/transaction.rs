//! The authentication transaction: where it stands (`MFA_REQUIRED`, `PASSWORD_WARN`, ...),
//! the answer for each step, and the `stateToken` that names it.

use std::collections::{HashMap, HashSet};

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Duration;
use serde_json::{json, Map, Value};

use super::okta_json::{
    cancel_link, factor_json, invalid_token, link, named_link, okta_time, opt_str, parse_object,
    password_policy, policy_json, user_json,
};
use super::sessions::remember_device;
use super::{SESSION_TOKEN_LIFETIME_MIN, STATE_TOKEN_LIFETIME_MIN};
use crate::http::{json_response, now, random_token};
use crate::{AccountState, ServerState, SessionToken, Transaction};

pub(crate) enum Step {
    MfaEnroll,
    MfaRequired,
    PasswordExpired,
    PasswordWarn,
    Success,
}

/// Where a transaction stands. As Okta documents, MFA comes before `PASSWORD_EXPIRED` when a
/// factor is enrolled, and `PASSWORD_WARN` is the last step before `SUCCESS`.
pub(crate) fn next_step(state: &ServerState, txn: &Transaction) -> Step {
    let config = state.config();
    if config.account == AccountState::MfaEnroll {
        return Step::MfaEnroll;
    }
    if !config.factors.is_empty() && !txn.mfa_done {
        return Step::MfaRequired;
    }
    if config.account == AccountState::PasswordExpired && !txn.password_changed {
        return Step::PasswordExpired;
    }
    if config.account == AccountState::PasswordWarn && txn.warn_requested && !txn.warn_skipped {
        return Step::PasswordWarn;
    }
    Step::Success
}

/// Renders the response for the transaction's current step. `SUCCESS` consumes the
/// transaction and issues a session token.
pub(super) fn step_response(state: &ServerState, base: &str, state_token: &str) -> Response {
    let mut data = state.data();
    let Some(txn) = data.transactions.get(state_token) else {
        return invalid_token();
    };
    let expires_at = okta_time(txn.expires_at);
    let step = next_step(state, txn);
    let mfa_done = txn.mfa_done && !state.config().factors.is_empty();
    let user = user_json(state);
    let config = state.config();
    let body = match step {
        Step::MfaEnroll => {
            let enroll =
                json!({ "enroll": link(format!("{base}/api/v1/authn/factors"), &["POST"]) });
            let factors = json!([
                { "factorType": "push", "provider": "OKTA", "vendorName": "OKTA",
                  "_links": enroll, "status": "NOT_SETUP", "enrollment": "REQUIRED" },
                { "factorType": "token:software:totp", "provider": "OKTA", "vendorName": "OKTA",
                  "_links": enroll, "status": "NOT_SETUP", "enrollment": "OPTIONAL" },
                { "factorType": "token:software:totp", "provider": "GOOGLE", "vendorName": "GOOGLE",
                  "_links": enroll, "status": "NOT_SETUP", "enrollment": "OPTIONAL" },
            ]);
            json!({
                "stateToken": state_token,
                "expiresAt": expires_at,
                "status": "MFA_ENROLL",
                "_embedded": { "user": user, "factors": factors },
                "_links": { "cancel": cancel_link(base) },
            })
        }
        Step::MfaRequired => {
            let mut embedded = json!({ "user": user });
            if config.single_factor_object {
                embedded["factor"] = factor_json(base, &config.factors[0], &config.username, true);
            } else {
                embedded["factors"] = Value::Array(
                    config
                        .factors
                        .iter()
                        .map(|f| factor_json(base, f, &config.username, true))
                        .collect(),
                );
            }
            embedded["policy"] = policy_json(state);
            json!({
                "stateToken": state_token,
                "expiresAt": expires_at,
                "status": "MFA_REQUIRED",
                "_embedded": embedded,
                "_links": { "cancel": cancel_link(base) },
            })
        }
        Step::PasswordExpired => json!({
            "stateToken": state_token,
            "expiresAt": expires_at,
            "status": "PASSWORD_EXPIRED",
            "_embedded": { "user": user, "policy": password_policy(state, false) },
            "_links": {
                "next": named_link("changePassword",
                    format!("{base}/api/v1/authn/credentials/change_password"), &["POST"]),
                "cancel": cancel_link(base),
            },
        }),
        Step::PasswordWarn => json!({
            "stateToken": state_token,
            "expiresAt": expires_at,
            "status": "PASSWORD_WARN",
            "_embedded": { "user": user, "policy": password_policy(state, true) },
            "_links": {
                "next": named_link("changePassword",
                    format!("{base}/api/v1/authn/credentials/change_password"), &["POST"]),
                "skip": named_link("skip", format!("{base}/api/v1/authn/skip"), &["POST"]),
                "cancel": cancel_link(base),
            },
        }),
        Step::Success => {
            if let Some(txn) = data.transactions.remove(state_token) {
                if mfa_done {
                    remember_device(state, &mut data, &txn);
                }
            }
            let t = now();
            let token = random_token("20111", 52);
            data.issued.push(token.clone());
            data.session_tokens.insert(
                token.clone(),
                SessionToken {
                    expires_at: t + Duration::minutes(SESSION_TOKEN_LIFETIME_MIN),
                    used: false,
                    mfa: mfa_done,
                    password_verified: t,
                    factor_verified: mfa_done.then_some(t),
                },
            );
            json!({
                "expiresAt": okta_time(t + Duration::minutes(SESSION_TOKEN_LIFETIME_MIN)),
                "status": "SUCCESS",
                "sessionToken": token,
                "_embedded": { "user": user },
            })
        }
    };
    drop(data);
    json_response(StatusCode::OK, body)
}

pub(super) fn new_transaction(
    state: &ServerState,
    warn_requested: bool,
    device_token: String,
    mfa_done: bool,
) -> String {
    let token = random_token("00", 40);
    let mut data = state.data();
    data.issued.push(token.clone());
    data.issued.push(device_token.clone());
    let t = now();
    data.transactions
        .retain(|_, txn| txn.expires_at > t - Duration::minutes(1));
    data.transactions.insert(
        token.clone(),
        Transaction {
            expires_at: t + Duration::minutes(STATE_TOKEN_LIFETIME_MIN),
            warn_requested,
            mfa_done,
            password_changed: false,
            warn_skipped: false,
            verified_once: HashSet::new(),
            pending_push: HashMap::new(),
            device_token,
            remember_device: false,
            challenged: HashSet::new(),
            webauthn_challenges: HashMap::new(),
            duo_pending: HashMap::new(),
        },
    );
    token
}

/// Looks the state token up; expired ones are dropped. Returns whether it is live.
pub(crate) fn live_transaction(state: &ServerState, token: &str) -> bool {
    let mut data = state.data();
    match data.transactions.get(token) {
        Some(txn) if txn.expires_at > now() => true,
        Some(_) => {
            data.transactions.remove(token);
            false
        }
        None => false,
    }
}

/// The `stateToken` of a body, or the 403 `E0000011` Okta answers without a live one.
/// The live `stateToken` of a step whose body holds nothing else we read, with Okta's errors:
/// `E0000003` for a body that is not a JSON object, `E0000011` for a missing or spent token.
pub(super) fn transaction_token(state: &ServerState, body: &Bytes) -> Result<String, Response> {
    state_token_of(state, &parse_object(body)?)
}

pub(super) fn state_token_of(
    state: &ServerState,
    body: &Map<String, Value>,
) -> Result<String, Response> {
    let token = opt_str(body, "stateToken")?.ok_or_else(invalid_token)?;
    if live_transaction(state, token) {
        Ok(token.to_string())
    } else {
        Err(invalid_token())
    }
}

pub(super) fn username_matches(configured: &str, given: &str) -> bool {
    let given = given.trim();
    configured.eq_ignore_ascii_case(given)
        || configured
            .split_once('@')
            .is_some_and(|(short, _)| short.eq_ignore_ascii_case(given))
}
