//! A fake of the Duo prompt API (Duo Web v2 frame endpoints) that Okta's Duo factor hands the
//! client through `_embedded.verification`, and Okta's `complete` (duoCallback) endpoint.
//!
//! Flow: `POST /frame/web/v1/auth?tx=TX|..&parent=..&v=2.6` → HTML with a hidden `sid`;
//! `POST /frame/prompt` (`sid`, `device`, `factor` = `Duo Push` | `Passcode`, `passcode`) →
//! `{"stat":"OK","response":{"txid"}}`; `POST /frame/status` (`sid`, `txid`) → `pushed`, then
//! `result: SUCCESS` with `result_url` (or `FAILURE`); `POST <result_url>` (`sid`) →
//! `{"response":{"cookie":"AUTH|.."}}`; then `POST <complete>` with
//! `sig_response=<cookie>:<APP part>` and `stateToken`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use serde_json::{json, Value};

use crate::http::{html_page, json_response, random_token};
use crate::server::{error_body, invalid_token};
use crate::{DuoBehavior, Factor, ServerState};

pub(crate) fn duo_fail(message: &str) -> Response {
    json_response(
        StatusCode::OK,
        json!({ "stat": "FAIL", "code": 40002, "message": message }),
    )
}

pub(crate) fn ok(response: Value) -> Response {
    json_response(
        StatusCode::OK,
        json!({ "stat": "OK", "response": response }),
    )
}

fn duo_factor(state: &ServerState, factor_id: &str) -> Option<(DuoBehavior, Vec<String>, String)> {
    state.config().factors.iter().find_map(|f| match f {
        Factor::Duo {
            id,
            behavior,
            devices,
            passcode,
        } if id == factor_id => Some((behavior.clone(), devices.clone(), passcode.clone())),
        _ => None,
    })
}

/// `POST /frame/web/v1/auth?tx=..`: opens the prompt; the page carries the Duo `sid`.
pub(crate) async fn auth(
    State(state): State<ServerState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(tx) = query.get("tx") else {
        return duo_fail("Missing tx");
    };
    if query.get("parent").is_none_or(|p| p.is_empty()) {
        return duo_fail("Missing parent");
    }
    let sid = random_token("", 48);
    let factor_id = {
        let mut data = state.data();
        let Some(duo) = data.duo.get_mut(tx) else {
            return duo_fail("Invalid tx");
        };
        duo.sid = Some(sid.clone());
        duo.factor_id.clone()
    };
    let devices = duo_factor(&state, &factor_id)
        .map(|(_, d, _)| d)
        .unwrap_or_default();
    let options: String = devices
        .iter()
        .map(|d| format!("<option value=\"{d}\">{d}</option>"))
        .collect();
    html_page(format!(
        "<!DOCTYPE html><html><head><title>Two-Factor Authentication</title></head><body>\
         <form id=\"endpoint-health-form\" method=\"POST\">\
         <input type=\"hidden\" name=\"sid\" value=\"{sid}\">\
         <select name=\"device\">{options}</select>\
         <input type=\"hidden\" name=\"factor\" value=\"Duo Push\">\
         </form></body></html>"
    ))
}

fn find_by_sid<'a>(
    data: &'a mut crate::Data,
    sid: &str,
) -> Option<(&'a String, &'a mut crate::DuoTx)> {
    data.duo
        .iter_mut()
        .find(|(_, d)| d.sid.as_deref() == Some(sid))
}

/// `POST /frame/prompt`: starts a push to a device, or checks a passcode.
pub(crate) async fn prompt(
    State(state): State<ServerState>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let sid = form.get("sid").cloned().unwrap_or_default();
    let factor = form.get("factor").cloned().unwrap_or_default();
    let factor_id = {
        let mut data = state.data();
        match find_by_sid(&mut data, &sid) {
            Some((_, d)) => d.factor_id.clone(),
            None => return duo_fail("Invalid session"),
        }
    };
    let Some((_, devices, passcode)) = duo_factor(&state, &factor_id) else {
        return duo_fail("Invalid session");
    };
    let txid = random_token("", 36);
    let mut data = state.data();
    match factor.as_str() {
        "Duo Push" => {
            let device = form.get("device").cloned().unwrap_or_default();
            if !devices.contains(&device) {
                return duo_fail("Unknown device");
            }
            data.counters.duo_pushes += 1;
            if let Some((_, d)) = find_by_sid(&mut data, &sid) {
                d.txid = Some(txid.clone());
                d.polls = 0;
                d.passcode_ok = None;
            }
        }
        "Passcode" => {
            let given = form.get("passcode").cloned().unwrap_or_default();
            let good = given == passcode;
            if !good {
                data.counters.bad_codes += 1;
            }
            if let Some((_, d)) = find_by_sid(&mut data, &sid) {
                d.txid = Some(txid.clone());
                d.passcode_ok = Some(good);
            }
        }
        _ => return duo_fail("Unknown factor"),
    }
    ok(json!({ "txid": txid }))
}

/// `POST /frame/status`: the state of the push or passcode check.
pub(crate) async fn status(
    State(state): State<ServerState>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let sid = form.get("sid").cloned().unwrap_or_default();
    let txid = form.get("txid").cloned().unwrap_or_default();
    let (factor_id, polls, passcode_ok) = {
        let mut data = state.data();
        let Some((_, d)) = find_by_sid(&mut data, &sid) else {
            return duo_fail("Invalid session");
        };
        if d.txid.as_deref() != Some(txid.as_str()) {
            return duo_fail("Invalid txid");
        }
        d.polls += 1;
        (d.factor_id.clone(), d.polls, d.passcode_ok)
    };
    let Some((behavior, _, _)) = duo_factor(&state, &factor_id) else {
        return duo_fail("Invalid session");
    };
    let success = json!({
        "result": "SUCCESS",
        "status": "Success. Logging you in...",
        "status_code": "allow",
        "result_url": format!("/frame/status/{txid}"),
    });
    match passcode_ok {
        Some(true) => ok(success),
        Some(false) => ok(json!({
            "result": "FAILURE",
            "status": "Incorrect passcode. Please try again.",
            "status_code": "deny",
        })),
        None if polls < 2 => ok(json!({
            "status": "Pushed a login request to your device...",
            "status_code": "pushed",
        })),
        None => match behavior {
            DuoBehavior::Approve => ok(success),
            DuoBehavior::Deny => ok(json!({
                "result": "FAILURE",
                "status": "Login request denied.",
                "status_code": "deny",
            })),
        },
    }
}

/// `POST /frame/status/{txid}`: the signed cookie for `sig_response`.
pub(crate) async fn result(
    State(state): State<ServerState>,
    Path(txid): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let sid = form.get("sid").cloned().unwrap_or_default();
    let mut data = state.data();
    let Some((_, d)) = find_by_sid(&mut data, &sid) else {
        return duo_fail("Invalid session");
    };
    if d.txid.as_deref() != Some(txid.as_str()) || d.passcode_ok == Some(false) {
        return duo_fail("Invalid txid");
    }
    let cookie = format!("AUTH|{}|{}", random_token("", 40), random_token("", 40));
    d.cookie = Some(cookie.clone());
    data.issued.push(cookie.clone());
    ok(json!({ "cookie": cookie, "parent": "okta" }))
}

/// `POST /api/v1/authn/factors/{id}/lifecycle/duoCallback` (the `complete` link), form
/// `id`, `stateToken`, `sig_response=<AUTH cookie>:<APP part>`.
pub(crate) async fn complete(
    State(state): State<ServerState>,
    Path(factor_id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let token = form.get("stateToken").cloned().unwrap_or_default();
    let sig = form.get("sig_response").cloned().unwrap_or_default();
    let mut data = state.data();
    if !data.transactions.contains_key(&token) {
        return invalid_token();
    }
    let found = data
        .duo
        .values_mut()
        .find(|d| d.state_token == token && d.factor_id == factor_id);
    let Some(duo) = found else {
        return invalid_token();
    };
    let expected = duo.cookie.as_ref().map(|c| format!("{c}:{}", duo.app));
    if expected.as_deref() != Some(sig.as_str()) {
        data.counters.bad_codes += 1;
        return json_response(
            StatusCode::FORBIDDEN,
            error_body(
                "E0000068",
                "Invalid Passcode/Answer",
                &["Invalid sig_response"],
            ),
        );
    }
    duo.completed = true;
    html_page(
        "<html><body><script>window.parent.postMessage('done','*');</script></body></html>".into(),
    )
}
