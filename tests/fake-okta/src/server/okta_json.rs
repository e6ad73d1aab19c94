//! The objects Okta's authentication answers are made of (user, factors, policies, links)
//! and its error bodies, as documented: `{errorCode, errorSummary, errorLink, errorId,
//! errorCauses}`.

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Map, Value};

use super::USER_ID;
use crate::http::{json_response, random_token};
use crate::{Factor, ServerState};

pub(super) fn okta_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

pub(crate) fn link(href: String, methods: &[&str]) -> Value {
    json!({ "href": href, "hints": { "allow": methods } })
}

pub(crate) fn named_link(name: &str, href: String, methods: &[&str]) -> Value {
    json!({ "name": name, "href": href, "hints": { "allow": methods } })
}

pub(crate) fn error_body(code: &str, summary: &str, causes: &[&str]) -> Value {
    let causes: Vec<Value> = causes
        .iter()
        .map(|c| json!({ "errorSummary": c }))
        .collect();
    json!({
        "errorCode": code,
        "errorSummary": summary,
        "errorLink": code,
        "errorId": random_token("oae", 22),
        "errorCauses": causes,
    })
}

pub(crate) fn okta_error(status: StatusCode, code: &str, summary: &str) -> Response {
    json_response(status, error_body(code, summary, &[]))
}

pub(super) fn malformed() -> Response {
    okta_error(
        StatusCode::BAD_REQUEST,
        "E0000003",
        "The request body was not well-formed.",
    )
}

pub(crate) fn invalid_token() -> Response {
    okta_error(StatusCode::FORBIDDEN, "E0000011", "Invalid token provided")
}

pub(super) fn not_found(summary: &str) -> Response {
    okta_error(StatusCode::NOT_FOUND, "E0000007", summary)
}

pub(super) fn wrong_state() -> Response {
    okta_error(
        StatusCode::FORBIDDEN,
        "E0000079",
        "This operation is not allowed in the current authentication state.",
    )
}

pub(super) fn auth_failed() -> Response {
    okta_error(
        StatusCode::UNAUTHORIZED,
        "E0000004",
        "Authentication failed",
    )
}

/// Parses a JSON object body. Anything else (empty, not JSON, not an object) is Okta's 400
/// `E0000003`.
pub(super) fn parse_object(body: &Bytes) -> Result<Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(malformed()),
    }
}

/// An optional string field; a present non-string, non-null value is a malformed body.
pub(super) fn opt_str<'a>(
    map: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<&'a str>, Response> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(malformed()),
    }
}

pub(super) fn user_json(state: &ServerState) -> Value {
    let config = state.config();
    let local = config
        .username
        .split('@')
        .next()
        .unwrap_or(&config.username);
    let first = {
        let mut chars = local.split(['.', '_']).next().unwrap_or(local).chars();
        match chars.next() {
            Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
            None => "Fake".to_string(),
        }
    };
    json!({
        "id": USER_ID,
        "passwordChanged": okta_time(state.inner.started_at - Duration::days(60)),
        "profile": {
            "login": config.username,
            "firstName": first,
            "lastName": "Example",
            "locale": "en_US",
            "timeZone": "America/Los_Angeles",
        }
    })
}

pub(super) fn verify_href(base: &str, factor_id: &str) -> String {
    format!("{base}/api/v1/authn/factors/{factor_id}/verify")
}

pub(super) fn factor_json(base: &str, factor: &Factor, username: &str, with_links: bool) -> Value {
    let mut v = match factor {
        Factor::Push { id, .. } => json!({
            "id": id,
            "factorType": "push",
            "provider": "OKTA",
            "vendorName": "OKTA",
            "profile": {
                "credentialId": username,
                "deviceType": "SmartPhone_IPhone",
                "keys": [{ "kty": "PKIX", "use": "sig", "kid": "default", "x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAfake"] }],
                "name": "Alice's iPhone",
                "platform": "IOS",
                "version": "17.4.1",
            },
        }),
        Factor::Totp { id, provider, .. } => json!({
            "id": id,
            "factorType": "token:software:totp",
            "provider": provider,
            "vendorName": provider,
            "profile": { "credentialId": username },
        }),
        Factor::Sms { id, phone, .. } | Factor::Call { id, phone, .. } => json!({
            "id": id,
            "factorType": if matches!(factor, Factor::Sms { .. }) { "sms" } else { "call" },
            "provider": "OKTA",
            "vendorName": "OKTA",
            "profile": { "phoneNumber": mask_phone(phone) },
        }),
        Factor::Email { id, email, .. } => json!({
            "id": id,
            "factorType": "email",
            "provider": "OKTA",
            "vendorName": "OKTA",
            "profile": { "email": mask_email(email) },
        }),
        Factor::YubiKey { id, .. } => json!({
            "id": id,
            "factorType": "token:hardware",
            "provider": "YUBICO",
            "vendorName": "YUBICO",
            "profile": { "credentialId": "000004102994" },
        }),
        Factor::Token { id, provider, .. } => json!({
            "id": id,
            "factorType": "token",
            "provider": provider,
            "vendorName": provider,
            "profile": { "credentialId": if provider == "SYMANTEC" { "VSMT14393584" } else { username } },
        }),
        Factor::Question {
            id,
            question,
            question_text,
            ..
        } => json!({
            "id": id,
            "factorType": "question",
            "provider": "OKTA",
            "vendorName": "OKTA",
            "profile": { "question": question, "questionText": question_text },
        }),
        Factor::Duo { id, .. } => json!({
            "id": id,
            "factorType": "web",
            "provider": "DUO",
            "vendorName": "DUO",
            "profile": { "credentialId": username },
        }),
        Factor::DuoUniversal { id, .. } => json!({
            "id": id,
            "factorType": "claims_provider",
            "provider": "CUSTOM",
            "vendorName": "Duo Universal Prompt",
            "profile": {},
        }),
        Factor::WebAuthn {
            id, credential_id, ..
        } => json!({
            "id": id,
            "factorType": "webauthn",
            "provider": "FIDO",
            "vendorName": "FIDO",
            "profile": { "credentialId": credential_id, "authenticatorName": "Security Key by Yubico" },
        }),
    };
    if with_links {
        v["_links"] = json!({ "verify": link(verify_href(base, factor.id()), &["POST"]) });
    }
    v
}

/// `+1 XXX-XXX-2345`, as Okta shows phone numbers.
pub(super) fn mask_phone(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let last = &digits[digits.len().saturating_sub(4)..];
    format!("+1 XXX-XXX-{last}")
}

/// `a...e@example.com`, as Okta shows email addresses.
pub(super) fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) if local.len() > 1 => {
            let first = &local[..1];
            let last = &local[local.len() - 1..];
            format!("{first}...{last}@{domain}")
        }
        _ => email.to_string(),
    }
}

pub(super) fn policy_json(state: &ServerState) -> Value {
    let allow = state.config().allow_remember_device;
    json!({
        "allowRememberDevice": allow,
        "rememberDeviceLifetimeInMinutes": if allow { 1440 } else { 0 },
        "rememberDeviceByDefault": false,
        "factorsPolicyInfo": {},
    })
}

pub(crate) fn cancel_link(base: &str) -> Value {
    link(format!("{base}/api/v1/authn/cancel"), &["POST"])
}

pub(crate) fn prev_link(base: &str) -> Value {
    link(format!("{base}/api/v1/authn/previous"), &["POST"])
}

pub(super) fn password_policy(state: &ServerState, warn: bool) -> Value {
    let mut policy = json!({
        "complexity": {
            "minLength": 8, "minLowerCase": 1, "minUpperCase": 1,
            "minNumber": 1, "minSymbol": 0, "excludeUsername": true,
        },
        "age": { "minAgeMinutes": 0, "historyCount": 4 },
    });
    if warn {
        policy["expiration"] = json!({ "passwordExpireDays": state.config().password_warn_days });
    }
    policy
}
