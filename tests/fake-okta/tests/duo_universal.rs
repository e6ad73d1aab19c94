//! The fake's Duo Universal Prompt wire format, walked by hand over HTTP (no redirects
//! followed): Okta's `claims_provider` challenge, the redirect to the Duo host, Duo's two
//! forms, the status polls and the OIDC exit back to Okta's callback, which sets `sid`.

mod common;

use common::*;
use fake_okta::{Config, DuoUniversalBehavior, Factor, FakeOkta};
use reqwest::blocking::Response;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn fake(behavior: DuoUniversalBehavior) -> FakeOkta {
    FakeOkta::start(Config {
        factors: vec![Factor::DuoUniversal {
            id: "clp1duo".into(),
            behavior,
            devices: vec!["phone1".into(), "phone2".into()],
            passcode: "246813".into(),
            redirect: None,
        }],
        ..Config::default()
    })
}

fn location(r: &Response) -> String {
    r.headers()
        .get(LOCATION)
        .and_then(|l| l.to_str().ok())
        .unwrap_or_else(|| panic!("no Location ({})", r.status()))
        .to_string()
}

/// The decoded `value` of the input named `name` (first one).
fn input(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no input {name}: {html}"));
    let tag_end = at + html[at..].find('>').unwrap();
    let tag_start = html[..at].rfind('<').unwrap();
    let tag = &html[tag_start..tag_end];
    let start = tag.find("value=\"").unwrap() + "value=\"".len();
    let end = start + tag[start..].find('"').unwrap();
    fake_okta::decode_html_entities(&tag[start..end])
}

fn json_of(r: Response) -> Value {
    let text = r.text().unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Up to Duo's login form: (duo origin, duo cookie header, sid, xsrf, login page html).
fn to_the_login_form(fake: &FakeOkta) -> (String, String, String, String, String) {
    let a = authn(fake);
    let factor = &a.body["_embedded"]["factors"][0];
    assert_eq!(factor["factorType"], "claims_provider", "{}", a.body);
    assert_eq!(factor["provider"], "CUSTOM");
    assert_eq!(factor["vendorName"], "Duo Universal Prompt");
    let st = state_token(&a);
    let verify = factor["_links"]["verify"]["href"].as_str().unwrap();
    let challenge = post_json(fake, verify, json!({ "stateToken": st }));
    let b = &challenge.body;
    assert_eq!(b["status"], "MFA_CHALLENGE", "{b}");
    assert_eq!(b["factorResult"], "CHALLENGE", "{b}");
    assert_eq!(b["_links"]["next"]["name"], "redirect", "{b}");
    assert_eq!(b["_links"]["next"]["hints"]["allow"], json!(["GET"]), "{b}");
    let next = b["_links"]["next"]["href"].as_str().unwrap();
    assert!(
        next.starts_with(&format!("{}/sso/idps/", fake.url())),
        "{next}"
    );

    let c = client();
    let to_duo = c.get(next).send().unwrap();
    assert_eq!(to_duo.status(), StatusCode::FOUND);
    let authorize = location(&to_duo);
    let duo = fake.duo_url().expect("the Duo listener runs");
    assert_ne!(duo, fake.url(), "Duo is another origin");
    assert!(
        authorize.starts_with(&format!("{duo}/oauth/v1/authorize?")),
        "{authorize}"
    );
    assert!(!authorize.contains(&st), "the state token stays with Okta");
    for part in [
        "response_type=code",
        "scope=openid",
        "state=",
        "request=",
        "redirect_uri=http",
    ] {
        assert!(authorize.contains(part), "{part}: {authorize}");
    }

    let to_prompt = c.get(&authorize).send().unwrap();
    assert_eq!(to_prompt.status(), StatusCode::SEE_OTHER);
    let cookie = to_prompt.headers()[SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let cookie = cookie.split(';').next().unwrap().to_string();
    let frameless = format!("{duo}{}", location(&to_prompt));
    assert!(
        frameless.contains("/frame/frameless/v4/auth?sid=frameless-"),
        "{frameless}"
    );

    // Every Duo page needs Duo's cookie.
    let without = c.get(&frameless).send().unwrap();
    assert_eq!(without.status(), StatusCode::BAD_REQUEST);
    let plugin = c.get(&frameless).header(COOKIE, &cookie).send().unwrap();
    assert_eq!(plugin.status(), StatusCode::OK);
    let plugin = plugin.text().unwrap();
    assert!(plugin.contains("id=\"plugin_form\""), "{plugin}");
    let (tx, xsrf) = (input(&plugin, "tx"), input(&plugin, "_xsrf"));
    let posted = c
        .post(&frameless)
        .header(COOKIE, &cookie)
        .form(&[
            ("tx", tx.as_str()),
            ("parent", "None"),
            ("_xsrf", xsrf.as_str()),
        ])
        .send()
        .unwrap();
    assert_eq!(posted.status(), StatusCode::FOUND);
    let prompt = format!("{duo}{}", location(&posted));
    let login = c
        .get(&prompt)
        .header(COOKIE, &cookie)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(login.contains("id=\"login-form\""), "{login}");
    assert!(login.contains("<option value=\"phone2\">"), "{login}");
    let sid = input(&login, "sid");
    assert_eq!(input(&login, "_xsrf"), xsrf);
    assert_eq!(input(&login, "preferred_device"), "phone1");
    (duo, cookie, sid, xsrf, login)
}

#[test]
fn push_then_status_then_oidc_exit_sets_the_okta_session() {
    let fake = fake(DuoUniversalBehavior::ApproveAfter(2));
    let (duo, cookie, sid, xsrf, _) = to_the_login_form(&fake);
    let c = client();
    let started = json_of(
        c.post(format!("{duo}/frame/prompt"))
            .header(COOKIE, &cookie)
            .form(&[
                ("sid", sid.as_str()),
                ("_xsrf", xsrf.as_str()),
                ("factor", "Duo Push"),
                ("device", "phone2"),
                ("postAuthDestination", "OIDC_EXIT"),
            ])
            .send()
            .unwrap(),
    );
    assert_eq!(started["stat"], "OK", "{started}");
    let txid = started["response"]["txid"].as_str().unwrap().to_string();
    let status = |c: &reqwest::blocking::Client| {
        json_of(
            c.post(format!("{duo}/frame/v4/status"))
                .header(COOKIE, &cookie)
                .form(&[("sid", sid.as_str()), ("txid", txid.as_str())])
                .send()
                .unwrap(),
        )
    };
    assert_eq!(status(&c)["response"]["status_code"], "pushed");
    let allowed = status(&c);
    assert_eq!(allowed["response"]["status_code"], "allow", "{allowed}");
    assert_eq!(allowed["response"]["result"], "SUCCESS");

    let exit = c
        .post(format!("{duo}/frame/v4/oidc/exit"))
        .header(COOKIE, &cookie)
        .form(&[
            ("txid", txid.as_str()),
            ("sid", sid.as_str()),
            ("factor", "Duo Push"),
            ("_xsrf", xsrf.as_str()),
            ("device_key", ""),
            ("dampen_choice", "false"),
        ])
        .send()
        .unwrap();
    assert_eq!(exit.status(), StatusCode::SEE_OTHER);
    let callback = location(&exit);
    assert!(
        callback.starts_with(&format!(
            "{}/oauth2/v1/authorize/callback?state=",
            fake.url()
        )),
        "{callback}"
    );
    let back = c.get(&callback).send().unwrap();
    assert_eq!(back.status(), StatusCode::FOUND);
    let okta_sid = sid_cookie(back.headers()).expect("Okta sets sid");
    let me = get_json(&fake, "/api/v1/sessions/me", Some(&okta_sid));
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.body["amr"], json!(["pwd", "mfa"]));
    // The code is single use.
    assert_eq!(
        c.get(&callback).send().unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    let counters = fake.counters();
    assert_eq!(
        (
            counters.duo_pushes,
            counters.duo_status_polls,
            counters.duo_sessions
        ),
        (1, 2, 1)
    );
}

#[test]
fn a_wrong_passcode_is_denied_and_a_denied_push_too() {
    let fake = fake(DuoUniversalBehavior::Deny);
    let (duo, cookie, sid, xsrf, _) = to_the_login_form(&fake);
    let c = client();
    let start = |factor: &str, extra: (&str, &str)| {
        json_of(
            c.post(format!("{duo}/frame/prompt"))
                .header(COOKIE, &cookie)
                .form(&[
                    ("sid", sid.as_str()),
                    ("_xsrf", xsrf.as_str()),
                    ("factor", factor),
                    ("device", "phone1"),
                    ("postAuthDestination", "OIDC_EXIT"),
                    extra,
                ])
                .send()
                .unwrap(),
        )["response"]["txid"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let status = |txid: &str| {
        json_of(
            c.post(format!("{duo}/frame/v4/status"))
                .header(COOKIE, &cookie)
                .form(&[("sid", sid.as_str()), ("txid", txid)])
                .send()
                .unwrap(),
        )["response"]
            .clone()
    };
    let wrong = start("Passcode", ("passcode", "000000"));
    assert_eq!(status(&wrong)["status_code"], "deny");
    let right = start("Passcode", ("passcode", "246813"));
    assert_eq!(status(&right)["status_code"], "allow");
    let push = start("Duo Push", ("x", ""));
    assert_eq!(status(&push)["status_code"], "deny");
    let unknown = json_of(
        c.post(format!("{duo}/frame/prompt"))
            .header(COOKIE, &cookie)
            .form(&[
                ("sid", sid.as_str()),
                ("_xsrf", xsrf.as_str()),
                ("factor", "Duo Push"),
                ("device", "tablet9"),
                ("postAuthDestination", "OIDC_EXIT"),
            ])
            .send()
            .unwrap(),
    );
    assert_eq!(unknown["stat"], "FAIL", "{unknown}");
    assert_eq!(fake.counters().bad_codes, 1);
}
