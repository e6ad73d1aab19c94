//! The fake's wire format, checked over HTTP.

mod common;

use common::*;
use fake_okta::{
    AccountState, Config, Counters, Factor, FakeOkta, PushBehavior, SamlRole, DEFAULT_HUB_ROLE,
    DEFAULT_PROVIDER, DEFAULT_SAML_PATH,
};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn push(id: &str, behavior: PushBehavior, number_challenge: Option<u32>) -> Factor {
    Factor::Push {
        id: id.to_string(),
        behavior,
        number_challenge,
    }
}

fn totp(id: &str, provider: &str, code: &str) -> Factor {
    Factor::Totp {
        id: id.to_string(),
        provider: provider.to_string(),
        code: code.to_string(),
    }
}

fn with_factors(factors: Vec<Factor>) -> Config {
    Config {
        factors,
        ..Config::default()
    }
}

fn assert_okta_error(a: &Answer, status: StatusCode, code: &str) {
    assert_eq!(a.status, status, "{}", a.body);
    assert_eq!(a.body["errorCode"], code, "{}", a.body);
    assert_eq!(a.body["errorLink"], code, "{}", a.body);
    assert!(a.body["errorSummary"].is_string(), "{}", a.body);
    assert!(
        a.body["errorId"]
            .as_str()
            .is_some_and(|id| id.starts_with("oae")),
        "{}",
        a.body
    );
    assert!(a.body["errorCauses"].is_array(), "{}", a.body);
}

fn assert_rate_headers(a: &Answer) {
    for h in [
        "x-rate-limit-limit",
        "x-rate-limit-remaining",
        "x-rate-limit-reset",
    ] {
        let v = a.headers.get(h).unwrap_or_else(|| panic!("missing {h}"));
        v.to_str()
            .expect("ascii")
            .parse::<i64>()
            .unwrap_or_else(|_| panic!("{h} not an integer"));
    }
}

fn assert_user(user: &Value) {
    assert!(user["id"].as_str().is_some_and(|s| s.starts_with("00u")));
    assert!(user["passwordChanged"]
        .as_str()
        .is_some_and(|s| s.ends_with('Z')));
    let p = &user["profile"];
    assert_eq!(p["login"], USER);
    for k in ["firstName", "lastName", "locale", "timeZone"] {
        assert!(p[k].is_string(), "profile.{k} missing: {user}");
    }
}

#[test]
fn mfa_required_lists_factors_with_absolute_verify_links() {
    let fake = FakeOkta::start(with_factors(vec![
        push("opf1pushfactor", PushBehavior::ApproveAfter(1), None),
        totp("ost1okta", "OKTA", "123456"),
        totp("uft1google", "GOOGLE", "654321"),
    ]));
    let a = authn(&fake);
    assert_eq!(a.status, StatusCode::OK);
    assert_rate_headers(&a);
    let b = &a.body;
    assert_eq!(b["status"], "MFA_REQUIRED");
    assert!(state_token(&a).len() >= 20);
    assert!(b["expiresAt"].as_str().is_some_and(|s| s.ends_with('Z')));
    assert_user(&b["_embedded"]["user"]);
    assert!(b["_embedded"].get("factor").is_none());
    let factors = b["_embedded"]["factors"].as_array().expect("factors array");
    assert_eq!(factors.len(), 3);

    let p = &factors[0];
    assert_eq!(p["id"], "opf1pushfactor");
    assert_eq!(p["factorType"], "push");
    assert_eq!(p["provider"], "OKTA");
    assert_eq!(p["vendorName"], "OKTA");
    assert_eq!(p["profile"]["credentialId"], USER);
    assert_eq!(p["profile"]["deviceType"], "SmartPhone_IPhone");
    assert_eq!(p["profile"]["platform"], "IOS");
    assert!(p["profile"]["name"].is_string() && p["profile"]["version"].is_string());
    assert_eq!(
        p["_links"]["verify"]["href"],
        verify_url(&fake, "opf1pushfactor")
    );
    assert_eq!(p["_links"]["verify"]["hints"]["allow"], json!(["POST"]));

    assert_eq!(factors[1]["factorType"], "token:software:totp");
    assert_eq!(factors[1]["provider"], "OKTA");
    assert_eq!(factors[1]["profile"]["credentialId"], USER);
    assert_eq!(factors[2]["provider"], "GOOGLE");
    assert_eq!(factors[2]["vendorName"], "GOOGLE");
    assert_eq!(
        factors[2]["_links"]["verify"]["href"],
        verify_url(&fake, "uft1google")
    );
    assert_eq!(
        b["_links"]["cancel"]["href"],
        format!("{}/api/v1/authn/cancel", fake.url())
    );
}

#[test]
fn mfa_required_single_factor_object() {
    let fake = FakeOkta::start(Config {
        single_factor_object: true,
        ..with_factors(vec![
            push("opf1first", PushBehavior::ApproveAfter(1), None),
            totp("ost1second", "OKTA", "111111"),
        ])
    });
    let a = authn(&fake);
    assert_eq!(a.body["status"], "MFA_REQUIRED");
    assert!(a.body["_embedded"].get("factors").is_none(), "{}", a.body);
    let f = &a.body["_embedded"]["factor"];
    assert!(f.is_object());
    assert_eq!(f["id"], "opf1first");
    assert_eq!(
        f["_links"]["verify"]["href"],
        verify_url(&fake, "opf1first")
    );
}

#[test]
fn push_is_approved_on_the_nth_poll_and_counted() {
    let fake = FakeOkta::start(with_factors(vec![push(
        "opf1push",
        PushBehavior::ApproveAfter(3),
        None,
    )]));
    let st = state_token(&authn(&fake));
    let url = verify_url(&fake, "opf1push");

    let first = post_json(&fake, &url, json!({ "stateToken": st }));
    assert_eq!(first.status, StatusCode::OK);
    assert_rate_headers(&first);
    let b = &first.body;
    assert_eq!(b["status"], "MFA_CHALLENGE");
    assert_eq!(b["factorResult"], "WAITING");
    assert_eq!(b["stateToken"], st.as_str());
    assert_eq!(b["_links"]["next"]["name"], "poll");
    assert_eq!(b["_links"]["next"]["href"], url.as_str());
    assert_eq!(b["_links"]["next"]["hints"]["allow"], json!(["POST"]));
    assert!(b["_links"]["cancel"]["href"].is_string());
    assert!(b["_links"]["prev"]["href"].is_string());
    assert_eq!(b["_embedded"]["factor"]["id"], "opf1push");
    assert_eq!(b["_embedded"]["factor"]["factorType"], "push");
    assert!(b.get("sessionToken").is_none());
    assert_eq!(
        fake.counters(),
        Counters {
            total: 2,
            authn: 1,
            verify: 1,
            pushes: 1,
            ..Counters::default()
        }
    );

    for _ in 0..2 {
        let poll = post_json(&fake, &url, json!({ "stateToken": st }));
        assert_eq!(poll.body["factorResult"], "WAITING", "{}", poll.body);
    }
    let done = post_json(&fake, &url, json!({ "stateToken": st }));
    assert_eq!(done.body["status"], "SUCCESS", "{}", done.body);
    assert!(done.body["sessionToken"]
        .as_str()
        .is_some_and(|t| t.len() > 20));
    assert!(done.body["expiresAt"].is_string());
    assert_user(&done.body["_embedded"]["user"]);
    let c = fake.counters();
    assert_eq!((c.verify, c.pushes, c.polls, c.authn), (1, 1, 3, 1));

    // The transaction is over: its state token no longer verifies.
    let again = post_json(&fake, &url, json!({ "stateToken": st }));
    assert_okta_error(&again, StatusCode::FORBIDDEN, "E0000011");
}

#[test]
fn number_challenge_is_in_poll_responses() {
    let fake = FakeOkta::start(with_factors(vec![push(
        "opf1push",
        PushBehavior::ApproveAfter(2),
        Some(42),
    )]));
    let st = state_token(&authn(&fake));
    let url = verify_url(&fake, "opf1push");
    let sent = post_json(&fake, &url, json!({ "stateToken": st }));
    assert_eq!(sent.body["factorResult"], "WAITING");
    let poll = post_json(&fake, &url, json!({ "stateToken": st }));
    assert_eq!(poll.body["factorResult"], "WAITING");
    let answer = &poll.body["_embedded"]["factor"]["_embedded"]["challenge"]["correctAnswer"];
    assert_eq!(answer.as_u64(), Some(42), "{}", poll.body);
    let done = post_json(&fake, &url, json!({ "stateToken": st }));
    assert_eq!(done.body["status"], "SUCCESS");
}

#[test]
fn rejected_push_reports_rejected_then_a_new_verify_sends_another_push() {
    let fake = FakeOkta::start(with_factors(vec![push(
        "opf1push",
        PushBehavior::Reject,
        None,
    )]));
    let st = state_token(&authn(&fake));
    let url = verify_url(&fake, "opf1push");
    assert_eq!(
        post_json(&fake, &url, json!({ "stateToken": st })).body["factorResult"],
        "WAITING"
    );
    let r = post_json(&fake, &url, json!({ "stateToken": st }));
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "MFA_CHALLENGE");
    assert_eq!(r.body["factorResult"], "REJECTED");
    assert!(r.body.get("sessionToken").is_none());
    assert_eq!(r.body["_links"]["next"]["name"], "verify");
    let again = post_json(&fake, &url, json!({ "stateToken": st }));
    assert_eq!(again.body["factorResult"], "WAITING");
    let c = fake.counters();
    assert_eq!((c.verify, c.pushes, c.polls), (1, 2, 1));
}

#[test]
fn timed_out_push_reports_timeout() {
    let fake = FakeOkta::start(with_factors(vec![push(
        "opf1push",
        PushBehavior::Timeout,
        None,
    )]));
    let st = state_token(&authn(&fake));
    let url = verify_url(&fake, "opf1push");
    post_json(&fake, &url, json!({ "stateToken": st }));
    let r = post_json(&fake, &url, json!({ "stateToken": st }));
    assert_eq!(r.body["status"], "MFA_CHALLENGE");
    assert_eq!(r.body["factorResult"], "TIMEOUT");
    assert!(r.body.get("sessionToken").is_none());
}

#[test]
fn totp_wrong_missing_and_right_passcodes() {
    let fake = FakeOkta::start(with_factors(vec![totp("uft1google", "GOOGLE", "246810")]));
    let st = state_token(&authn(&fake));
    let url = format!("{}?rememberDevice=true", verify_url(&fake, "uft1google"));

    let wrong = post_json(
        &fake,
        &url,
        json!({ "stateToken": st, "passCode": "000000" }),
    );
    assert_okta_error(&wrong, StatusCode::FORBIDDEN, "E0000068");
    assert_eq!(wrong.body["errorSummary"], "Invalid Passcode/Answer");
    assert_eq!(
        wrong.body["errorCauses"],
        json!([{ "errorSummary": "Your passcode doesn't match our records. Please try again." }])
    );
    let missing = post_json(&fake, &url, json!({ "stateToken": st }));
    assert_okta_error(&missing, StatusCode::FORBIDDEN, "E0000068");

    let right = post_json(
        &fake,
        &url,
        json!({ "stateToken": st, "passCode": "246810" }),
    );
    assert_eq!(right.status, StatusCode::OK);
    assert_eq!(right.body["status"], "SUCCESS");
    assert!(right.body["sessionToken"].is_string());
    let c = fake.counters();
    assert_eq!((c.verify, c.pushes, c.polls), (1, 0, 0));
}

#[test]
fn wrong_credentials_answer_401_e0000004() {
    let fake = FakeOkta::start(Config::default());
    let a = post_json(
        &fake,
        "/api/v1/authn",
        json!({ "username": USER, "password": "wrong" }),
    );
    assert_okta_error(&a, StatusCode::UNAUTHORIZED, "E0000004");
    assert_eq!(a.body["errorSummary"], "Authentication failed");
    assert_eq!(a.body["errorCauses"], json!([]));
    assert_rate_headers(&a);
    let b = post_json(
        &fake,
        "/api/v1/authn",
        json!({ "username": "mallory@example.com", "password": PASSWORD }),
    );
    assert_okta_error(&b, StatusCode::UNAUTHORIZED, "E0000004");
    // Okta logins are case-insensitive and accept the short name.
    for login in ["ALICE@example.com", "alice"] {
        let ok = post_json(
            &fake,
            "/api/v1/authn",
            json!({ "username": login, "password": PASSWORD }),
        );
        assert_eq!(ok.body["status"], "MFA_REQUIRED", "{login}: {}", ok.body);
    }
}

#[test]
fn malformed_bodies_answer_400_e0000003() {
    let fake = FakeOkta::start(Config::default());
    for body in [
        "{not json",
        "",
        "[1,2]",
        "{\"username\": 5, \"password\": \"x\"}",
    ] {
        let a = post_raw(&fake, "/api/v1/authn", body);
        assert_okta_error(&a, StatusCode::BAD_REQUEST, "E0000003");
        assert_eq!(
            a.body["errorSummary"],
            "The request body was not well-formed."
        );
    }
    let v = post_raw(
        &fake,
        "/api/v1/authn/factors/opf1pushfactor/verify",
        "{oops",
    );
    assert_okta_error(&v, StatusCode::BAD_REQUEST, "E0000003");
}

#[test]
fn bad_state_token_and_unknown_factor() {
    let fake = FakeOkta::start(Config::default());
    let a = post_json(
        &fake,
        &verify_url(&fake, "opf1pushfactor"),
        json!({ "stateToken": "00nosuchtoken" }),
    );
    assert_okta_error(&a, StatusCode::FORBIDDEN, "E0000011");
    assert_eq!(a.body["errorSummary"], "Invalid token provided");

    let st = state_token(&authn(&fake));
    let b = post_json(
        &fake,
        &verify_url(&fake, "opf1nosuch"),
        json!({ "stateToken": st }),
    );
    assert_okta_error(&b, StatusCode::NOT_FOUND, "E0000007");
    assert_eq!(
        b.body["errorSummary"],
        "Not found: Resource not found: opf1nosuch (Factor)"
    );
}

#[test]
fn active_without_factors_succeeds_at_once() {
    let fake = FakeOkta::start(with_factors(vec![]));
    let a = authn(&fake);
    assert_eq!(a.body["status"], "SUCCESS");
    assert!(a.body.get("stateToken").is_none());
    assert!(a.body["sessionToken"].is_string());
    assert!(a.body["expiresAt"].is_string());
    assert_user(&a.body["_embedded"]["user"]);
}

#[test]
fn locked_out_account() {
    let fake = FakeOkta::start(Config {
        account: AccountState::LockedOut,
        ..Config::default()
    });
    let a = authn(&fake);
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["status"], "LOCKED_OUT");
    assert!(a.body.get("stateToken").is_none());
    assert_eq!(a.body["_links"]["next"]["name"], "unlock");
    assert_eq!(
        a.body["_links"]["next"]["href"],
        format!("{}/api/v1/authn/recovery/unlock", fake.url())
    );
}

#[test]
fn password_expired_without_factors() {
    let fake = FakeOkta::start(Config {
        account: AccountState::PasswordExpired,
        ..with_factors(vec![])
    });
    let a = authn(&fake);
    assert_eq!(a.body["status"], "PASSWORD_EXPIRED", "{}", a.body);
    let st = state_token(&a);
    assert_user(&a.body["_embedded"]["user"]);
    assert!(a.body["_embedded"]["policy"]["complexity"]["minLength"].is_number());
    assert_eq!(a.body["_links"]["next"]["name"], "changePassword");
    assert_eq!(
        a.body["_links"]["next"]["href"],
        format!("{}/api/v1/authn/credentials/change_password", fake.url())
    );
    assert!(a.body["_links"].get("skip").is_none());
    // No sessionToken until the password is changed.
    let bad = post_json(
        &fake,
        "/api/v1/authn/credentials/change_password",
        json!({ "stateToken": st, "oldPassword": "nope", "newPassword": "N3w-Passw0rd!" }),
    );
    assert_okta_error(&bad, StatusCode::FORBIDDEN, "E0000014");
    let ok = post_json(
        &fake,
        "/api/v1/authn/credentials/change_password",
        json!({ "stateToken": st, "oldPassword": PASSWORD, "newPassword": "N3w-Passw0rd!" }),
    );
    assert_eq!(ok.body["status"], "SUCCESS", "{}", ok.body);
}

#[test]
fn password_expired_comes_after_mfa_when_a_factor_is_enrolled() {
    let fake = FakeOkta::start(Config {
        account: AccountState::PasswordExpired,
        ..Config::default()
    });
    let a = authn(&fake);
    assert_eq!(a.body["status"], "MFA_REQUIRED");
    let st = state_token(&a);
    let url = verify_url(&fake, "opf1pushfactor");
    post_json(&fake, &url, json!({ "stateToken": st }));
    let r = post_json(&fake, &url, json!({ "stateToken": st }));
    assert_eq!(r.body["status"], "PASSWORD_EXPIRED", "{}", r.body);
    assert!(r.body.get("sessionToken").is_none());
}

#[test]
fn password_warn_and_skip() {
    let fake = FakeOkta::start(Config {
        account: AccountState::PasswordWarn,
        password_warn_days: 3,
        ..with_factors(vec![])
    });
    let a = authn(&fake);
    assert_eq!(a.body["status"], "PASSWORD_WARN", "{}", a.body);
    assert_eq!(
        a.body["_embedded"]["policy"]["expiration"]["passwordExpireDays"],
        3
    );
    let skip = &a.body["_links"]["skip"];
    assert_eq!(skip["name"], "skip");
    assert_eq!(skip["href"], format!("{}/api/v1/authn/skip", fake.url()));
    assert_eq!(a.body["_links"]["next"]["name"], "changePassword");
    let st = state_token(&a);
    let s = post_json(
        &fake,
        skip["href"].as_str().expect("href"),
        json!({ "stateToken": st }),
    );
    assert_eq!(s.body["status"], "SUCCESS", "{}", s.body);
    assert!(s.body["sessionToken"].is_string());

    // Okta only warns when the client opts in.
    let plain = post_json(
        &fake,
        "/api/v1/authn",
        json!({ "username": USER, "password": PASSWORD }),
    );
    assert_eq!(plain.body["status"], "SUCCESS", "{}", plain.body);
}

#[test]
fn password_warn_is_the_last_step_before_success_with_mfa() {
    let fake = FakeOkta::start(Config {
        account: AccountState::PasswordWarn,
        ..Config::default()
    });
    let a = authn(&fake);
    assert_eq!(a.body["status"], "MFA_REQUIRED");
    let st = state_token(&a);
    let url = verify_url(&fake, "opf1pushfactor");
    post_json(&fake, &url, json!({ "stateToken": st }));
    let w = post_json(&fake, &url, json!({ "stateToken": st }));
    assert_eq!(w.body["status"], "PASSWORD_WARN", "{}", w.body);
    assert_eq!(
        w.body["_embedded"]["policy"]["expiration"]["passwordExpireDays"],
        5
    );
    let s = post_json(&fake, "/api/v1/authn/skip", json!({ "stateToken": st }));
    assert_eq!(s.body["status"], "SUCCESS", "{}", s.body);
}

#[test]
fn mfa_enroll_lists_enrollable_factors() {
    let fake = FakeOkta::start(Config {
        account: AccountState::MfaEnroll,
        ..Config::default()
    });
    let a = authn(&fake);
    assert_eq!(a.body["status"], "MFA_ENROLL");
    assert!(a.body["stateToken"].is_string());
    let factors = a.body["_embedded"]["factors"].as_array().expect("factors");
    assert!(!factors.is_empty());
    for f in factors {
        assert_eq!(
            f["_links"]["enroll"]["href"],
            format!("{}/api/v1/authn/factors", fake.url())
        );
        assert_eq!(f["status"], "NOT_SETUP");
    }
    assert!(factors.iter().any(|f| f["factorType"] == "push"));
}

#[test]
fn rate_limited_then_success() {
    let fake = FakeOkta::start(Config {
        rate_limit_first: 2,
        ..Config::default()
    });
    for _ in 0..2 {
        let before = chrono::Utc::now().timestamp();
        let a = authn(&fake);
        assert_okta_error(&a, StatusCode::TOO_MANY_REQUESTS, "E0000047");
        assert_eq!(
            a.body["errorSummary"],
            "API call exceeded rate limit due to too many requests."
        );
        assert_eq!(a.headers["x-rate-limit-remaining"], "0");
        assert!(a.headers["x-rate-limit-limit"].to_str().is_ok());
        let reset: i64 = a.headers["x-rate-limit-reset"]
            .to_str()
            .expect("ascii")
            .parse()
            .expect("epoch");
        assert!(
            reset > before && reset <= before + 2,
            "reset {reset} vs {before}"
        );
    }
    let ok = authn(&fake);
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.body["status"], "MFA_REQUIRED");
    assert_ne!(ok.headers["x-rate-limit-remaining"], "0");
    assert_eq!(fake.counters().authn, 3);
}

#[test]
fn unavailable_then_success() {
    let fake = FakeOkta::start(Config {
        rate_limit_first: 1,
        unavailable_first: 1,
        ..Config::default()
    });
    assert_eq!(authn(&fake).status, StatusCode::TOO_MANY_REQUESTS);
    let a = authn(&fake);
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(a.body["errorCode"].is_string());
    assert_eq!(authn(&fake).body["status"], "MFA_REQUIRED");
}

#[test]
fn app_link_sets_sid_and_sso_page_carries_encoded_saml() {
    let fake = FakeOkta::start(Config::default());
    let token = login_with_push(&fake);
    fake.reset_counters();

    let link = format!("{}/{DEFAULT_SAML_PATH}?sessionToken={token}", fake.url());
    let p = get_page(&link, None);
    assert_eq!(p.status, StatusCode::FOUND);
    let sid = sid_cookie(&p.headers).expect("sid cookie");
    assert!(!sid.is_empty());
    let location = p.headers["location"].to_str().expect("location");
    assert_eq!(
        location,
        format!("{}/app/amazon_aws/exk1fakeappid/sso/saml", fake.url())
    );

    let page = get_page(location, Some(&sid));
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.headers["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/html"));
    assert!(page.html.starts_with("<!DOCTYPE html"));
    assert!(page.html.contains("<form id=\"appForm\""));
    assert!(page.html.contains("method=\"POST\""));
    assert!(page
        .html
        .contains("document.getElementById('appForm').submit()"));
    assert!(page
        .html
        .contains("<input name=\"RelayState\" type=\"hidden\" value=\"\"/>"));
    let raw = raw_saml_value(&page.html).expect("SAMLResponse input");
    assert!(raw.contains("&#x"), "value is entity-encoded");
    assert!(!raw.contains('+') && !raw.contains('=') && !raw.contains('/'));
    let xml = saml_xml(&page.html).expect("SAML XML");
    assert!(xml.contains("<saml2p:Response"));
    assert!(xml.contains("<saml2:Audience>urn:amazon:webservices</saml2:Audience>"));
    assert!(xml.contains(&format!("{DEFAULT_PROVIDER},{DEFAULT_HUB_ROLE}")));
    assert!(xml.contains(&format!(">{USER}</saml2:NameID>")));
    assert!(xml.contains("https://aws.amazon.com/SAML/Attributes/RoleSessionName"));
    assert!(xml.contains("https://aws.amazon.com/SAML/Attributes/SessionDuration"));
    assert!(xml.contains(">43200</saml2:AttributeValue>"));

    let c = fake.counters();
    assert_eq!((c.app_link, c.saml_issued, c.total), (1, 1, 2));

    // The session alone (no token) redirects the same way.
    let again = get_page(&format!("{}/{DEFAULT_SAML_PATH}", fake.url()), Some(&sid));
    assert_eq!(again.status, StatusCode::FOUND);
    assert_eq!(again.headers["location"], location);
    assert!(sid_cookie(&again.headers).is_none());
}

#[test]
fn onetimetoken_is_accepted_and_role_order_and_roles_follow_config() {
    let fake = FakeOkta::start(Config {
        role_first: true,
        session_duration: None,
        roles: vec![
            SamlRole {
                role_arn: "arn:aws:iam::222222222222:role/a".into(),
                provider_arn: "arn:aws:iam::222222222222:saml-provider/okta".into(),
            },
            SamlRole {
                role_arn: "arn:aws:iam::333333333333:role/b".into(),
                provider_arn: "arn:aws:iam::333333333333:saml-provider/okta".into(),
            },
        ],
        ..with_factors(vec![])
    });
    let token = authn(&fake).body["sessionToken"]
        .as_str()
        .expect("token")
        .to_string();
    let p = get_page(
        &format!("{}/{DEFAULT_SAML_PATH}?onetimetoken={token}", fake.url()),
        None,
    );
    assert_eq!(p.status, StatusCode::FOUND);
    let sid = sid_cookie(&p.headers).expect("sid");
    let page = get_page(p.headers["location"].to_str().expect("loc"), Some(&sid));
    let xml = saml_xml(&page.html).expect("saml");
    assert!(xml.contains(
        ">arn:aws:iam::222222222222:role/a,arn:aws:iam::222222222222:saml-provider/okta<"
    ));
    assert!(xml.contains(
        ">arn:aws:iam::333333333333:role/b,arn:aws:iam::333333333333:saml-provider/okta<"
    ));
    assert!(!xml.contains("SessionDuration"));
}

#[test]
fn session_token_is_single_use() {
    let fake = FakeOkta::start(Config::default());
    let token = login_with_push(&fake);
    let link = format!("{}/{DEFAULT_SAML_PATH}?sessionToken={token}", fake.url());
    assert_eq!(get_page(&link, None).status, StatusCode::FOUND);
    let second = get_page(&link, None);
    assert_eq!(second.status, StatusCode::OK);
    assert!(sid_cookie(&second.headers).is_none());
    assert!(raw_saml_value(&second.html).is_none());
    assert!(second.html.contains("okta-sign-in"));
    // A made-up token does not work either.
    let bogus = get_page(
        &format!("{}/{DEFAULT_SAML_PATH}?sessionToken=20111bogus", fake.url()),
        None,
    );
    assert_eq!(bogus.status, StatusCode::OK);
    assert!(raw_saml_value(&bogus.html).is_none());
    assert_eq!(fake.counters().saml_issued, 0);
}

#[test]
fn sso_page_without_a_session_is_the_sign_in_page() {
    let fake = FakeOkta::start(Config::default());
    let sso = format!("{}/app/amazon_aws/exk1fakeappid/sso/saml", fake.url());
    for sid in [None, Some("102notasession")] {
        let p = get_page(&sso, sid);
        assert_eq!(p.status, StatusCode::OK);
        assert!(p.html.contains("Sign In"));
        assert!(raw_saml_value(&p.html).is_none());
        assert!(!p.html.contains("SAMLResponse"));
    }
    let link = get_page(&format!("{}/{DEFAULT_SAML_PATH}", fake.url()), None);
    assert_eq!(link.status, StatusCode::OK);
    assert!(!link.html.contains("SAMLResponse"));
}

#[test]
fn invalidated_sessions_lose_access() {
    let fake = FakeOkta::start(Config::default());
    let token = login_with_push(&fake);
    let (sid, html) = saml_page(&fake, &token);
    assert!(raw_saml_value(&html).is_some());
    assert_eq!(
        get_json(&fake, "/api/v1/sessions/me", Some(&sid)).status,
        StatusCode::OK
    );
    fake.invalidate_sessions();
    let sso = format!("{}/app/amazon_aws/exk1fakeappid/sso/saml", fake.url());
    let p = get_page(&sso, Some(&sid));
    assert_eq!(p.status, StatusCode::OK);
    assert!(raw_saml_value(&p.html).is_none());
    let me = get_json(&fake, "/api/v1/sessions/me", Some(&sid));
    assert_okta_error(&me, StatusCode::NOT_FOUND, "E0000007");
}

#[test]
fn sessions_me_get_and_delete() {
    let fake = FakeOkta::start(Config::default());
    let token = login_with_push(&fake);
    let (sid, _) = saml_page(&fake, &token);
    let me = get_json(&fake, "/api/v1/sessions/me", Some(&sid));
    assert_eq!(me.status, StatusCode::OK);
    assert_rate_headers(&me);
    let b = &me.body;
    assert_eq!(b["id"], sid.as_str());
    assert_eq!(b["login"], USER);
    assert_eq!(b["status"], "ACTIVE");
    assert!(b["userId"].as_str().is_some_and(|s| s.starts_with("00u")));
    for k in [
        "createdAt",
        "expiresAt",
        "lastPasswordVerification",
        "lastFactorVerification",
    ] {
        assert!(b[k].as_str().is_some_and(|s| s.ends_with('Z')), "{k}: {b}");
    }
    assert_eq!(b["amr"], json!(["pwd", "mfa"]));
    assert_eq!(b["idp"]["type"], "OKTA");
    assert_eq!(b["mfaActive"], true);
    assert_eq!(
        b["_links"]["self"]["href"],
        format!("{}/api/v1/sessions/me", fake.url())
    );

    let refreshed = post_json_with_sid(&fake, "/api/v1/sessions/me/lifecycle/refresh", &sid);
    assert_eq!(refreshed, StatusCode::OK);

    let del = reqwest::blocking::Client::new()
        .delete(format!("{}/api/v1/sessions/me", fake.url()))
        .header("Cookie", format!("sid={sid}"))
        .send()
        .expect("delete");
    assert_eq!(del.status(), StatusCode::NO_CONTENT);
    let gone = get_json(&fake, "/api/v1/sessions/me", Some(&sid));
    assert_okta_error(&gone, StatusCode::NOT_FOUND, "E0000007");
    let none = get_json(&fake, "/api/v1/sessions/me", None);
    assert_okta_error(&none, StatusCode::NOT_FOUND, "E0000007");
    assert_eq!(fake.counters().sessions_me, 5);
}

fn post_json_with_sid(fake: &FakeOkta, path: &str, sid: &str) -> StatusCode {
    client()
        .post(format!("{}{path}", fake.url()))
        .header("Cookie", format!("sid={sid}"))
        .send()
        .expect("request")
        .status()
}

#[test]
fn session_without_mfa_reports_pwd_only() {
    let fake = FakeOkta::start(with_factors(vec![]));
    let token = authn(&fake).body["sessionToken"]
        .as_str()
        .expect("token")
        .to_string();
    let (sid, _) = saml_page(&fake, &token);
    let me = get_json(&fake, "/api/v1/sessions/me", Some(&sid));
    assert_eq!(me.body["amr"], json!(["pwd"]));
    assert_eq!(me.body["mfaActive"], false);
    assert!(me.body["lastFactorVerification"].is_null());
}

#[test]
fn well_known_org_reports_the_pipeline() {
    let fake = FakeOkta::start(Config {
        pipeline: "idx".into(),
        ..Config::default()
    });
    let a = get_json(&fake, "/.well-known/okta-organization", None);
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["id"], "00o1fakeorg");
    assert_eq!(a.body["pipeline"], "idx");
    assert_eq!(a.body["_links"]["organization"]["href"], fake.url());
}

#[test]
fn counters_endpoint_unknown_paths_and_reset() {
    let fake = FakeOkta::start(Config::default());
    let nf = get_json(&fake, "/api/v1/nothing/here", None);
    assert_okta_error(&nf, StatusCode::NOT_FOUND, "E0000007");
    let wrong_method = get_json(&fake, "/api/v1/authn", None);
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    authn(&fake);
    let c = get_json(&fake, "/__fake/counters", None);
    assert_eq!(c.status, StatusCode::OK);
    let parsed: Counters = serde_json::from_value(c.body).expect("Counters JSON");
    assert_eq!(parsed, fake.counters());
    assert_eq!((parsed.total, parsed.authn), (3, 1));
    fake.reset_counters();
    assert_eq!(fake.counters(), Counters::default());
}

#[test]
fn cancel_ends_the_transaction() {
    let fake = FakeOkta::start(Config::default());
    let st = state_token(&authn(&fake));
    let c = post_json(&fake, "/api/v1/authn/cancel", json!({ "stateToken": st }));
    assert_eq!(c.status, StatusCode::OK);
    assert_eq!(c.body["status"], "UNAUTHENTICATED");
    let v = post_json(
        &fake,
        &verify_url(&fake, "opf1pushfactor"),
        json!({ "stateToken": st }),
    );
    assert_okta_error(&v, StatusCode::FORBIDDEN, "E0000011");
}

#[test]
fn servers_are_independent_and_stop_on_drop() {
    let a = FakeOkta::start(Config::default());
    let url = {
        let b = FakeOkta::start(Config::default());
        assert_ne!(a.url(), b.url());
        authn(&b);
        assert_eq!(b.counters().authn, 1);
        b.url()
    };
    assert_eq!(a.counters().authn, 0);
    let after_drop = client()
        .get(format!("{url}/.well-known/okta-organization"))
        .timeout(std::time::Duration::from_secs(2))
        .send();
    assert!(after_drop.is_err(), "server still answering after drop");
}

#[test]
fn config_json_uses_defaults_for_missing_fields() {
    let c: Config = serde_json::from_str(
        r#"{"account":"PasswordWarn","factors":[{"Push":{"id":"p1","behavior":{"ApproveAfter":2}}},{"Totp":{"id":"t1","provider":"GOOGLE","code":"123"}}]}"#,
    )
    .expect("config");
    assert_eq!(c.account, AccountState::PasswordWarn);
    assert_eq!(c.username, USER);
    assert_eq!(c.saml_path, DEFAULT_SAML_PATH);
    assert_eq!(c.session_duration, Some(43200));
    assert!(matches!(
        &c.factors[0],
        Factor::Push {
            behavior: PushBehavior::ApproveAfter(2),
            number_challenge: None,
            ..
        }
    ));
}

#[test]
fn binary_prints_its_url_and_serves_the_config() {
    use std::io::{BufRead, BufReader};
    let dir = std::env::temp_dir().join(format!("fake-okta-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let cfg = dir.join("config.json");
    std::fs::write(&cfg, r#"{"pipeline":"idx","username":"bob@example.com"}"#).expect("write");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_fake-okta"))
        .args(["--port", "0", "--config"])
        .arg(&cfg)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn fake-okta");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("line");
    let result = std::panic::catch_unwind(|| {
        let url = line
            .trim_end()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        assert!(url.starts_with("http://127.0.0.1:"));
        let org: Value = client()
            .get(format!("{url}/.well-known/okta-organization"))
            .send()
            .expect("request")
            .json()
            .expect("json");
        assert_eq!(org["pipeline"], "idx");
        let a = client()
            .post(format!("{url}/api/v1/authn"))
            .json(&json!({ "username": "bob@example.com", "password": PASSWORD }))
            .send()
            .expect("authn");
        assert_eq!(a.status(), StatusCode::OK);
        let counters: Counters = client()
            .get(format!("{url}/__fake/counters"))
            .send()
            .expect("counters")
            .json()
            .expect("json");
        assert_eq!(counters.authn, 1);
    });
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}
