//! Black-box tests of the Duo Universal Prompt (Okta Classic's `claims_provider` factor)
//! against the fake Okta and its fake Duo host, which listens on a port of its own, so every
//! step crosses between two origins as with real Okta and Duo.

use crate::common::*;
use fake_okta::{Config, DuoRedirect, DuoUniversalBehavior, Factor};

const PASSCODE: &str = "246813";

fn duo(behavior: DuoUniversalBehavior) -> Factor {
    Factor::DuoUniversal {
        id: "clp1duouniversal".into(),
        behavior,
        devices: vec!["phone1".into(), "phone2".into()],
        passcode: PASSCODE.into(),
        redirect: None,
    }
}

fn env_with(factor: Factor, config: Config) -> TestEnv {
    let env = TestEnv::new(Config {
        factors: vec![factor],
        ..config
    });
    env.add();
    env
}

fn with(behavior: DuoUniversalBehavior) -> TestEnv {
    env_with(duo(behavior), Config::default())
}

fn redirected(redirect: DuoRedirect) -> TestEnv {
    let Factor::DuoUniversal {
        id,
        behavior,
        devices,
        passcode,
        ..
    } = duo(DuoUniversalBehavior::ApproveAfter(1))
    else {
        unreachable!()
    };
    env_with(
        Factor::DuoUniversal {
            id,
            behavior,
            devices,
            passcode,
            redirect: Some(redirect),
        },
        Config::default(),
    )
}

/// Duo's secrets never reached Okta, and Okta's (and the password) never reached Duo.
fn assert_secrets_stayed_home(env: &TestEnv) {
    let okta_got = env.okta.state().received().join("\n");
    let duo_secrets = env.okta.state().duo_secrets();
    for secret in &duo_secrets {
        assert!(!okta_got.contains(secret), "Okta got Duo's {secret}");
    }
    let duo_got = env.okta.state().duo_received().join("\n");
    for secret in env.okta.state().issued_secrets() {
        assert!(!duo_got.contains(&secret), "Duo got Okta's {secret}");
    }
    assert!(!duo_got.contains(PASSWORD), "Duo got the password");
    assert!(!duo_got.contains("stateToken"), "{duo_got}");
}

#[test]
fn an_approved_push_gives_credentials_through_the_session_duo_started() {
    let env = with(DuoUniversalBehavior::ApproveAfter(3));
    let out = env.run(&["--debug", "cred-process", "hub"]);
    let json = cred_process_json(&out);
    assert!(json["SessionToken"].is_string(), "{json}");
    let err = stderr(&out);
    assert!(
        err.contains("Waiting for Duo Push approval on your phone"),
        "{err}"
    );
    let c = env.okta.counters();
    // One push, polled until the third status said allow; one Okta session from Duo's exit,
    // taken straight to the app link (no Okta Verify push); its end is read once afterwards
    // (one Sessions API call), so later reuses are the app link alone.
    assert_eq!(
        (
            c.duo_pushes,
            c.duo_status_polls,
            c.duo_calls,
            c.duo_sessions
        ),
        (1, 3, 0, 1),
        "{c:?}"
    );
    assert_eq!(
        (c.verify, c.pushes, c.app_link, c.saml_issued, c.sessions_me),
        (1, 0, 1, 1, 1),
        "{c:?}"
    );
    assert_secrets_stayed_home(&env);

    // Nothing secret in --debug: Okta's tokens and sid, Duo's sid, tx, xsrf, cookie, txids.
    assert!(err.contains("duo universal"), "debug is on: {err}");
    let mut secrets = env.okta.state().issued_secrets();
    secrets.extend(env.okta.state().duo_secrets());
    secrets.push(PASSWORD.into());
    assert!(secrets.len() > 8, "{secrets:?}");
    for secret in &secrets {
        assert!(!err.contains(secret.as_str()), "{secret} in --debug: {err}");
    }

    // The session Duo's exit started is cached like any other: the next login reuses it.
    env.clear_aws_cache();
    cred_process_json(&env.run(&["cred-process", "hub"]));
    let c = env.okta.counters();
    assert_eq!(
        (c.duo_pushes, c.duo_sessions, c.saml_issued, c.sessions_me),
        (1, 1, 2, 1),
        "{c:?}"
    );
}

#[test]
fn a_denied_push_exits_12() {
    let env = with(DuoUniversalBehavior::Deny);
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::MFA_REJECTED, "Duo Push denied");
    let c = env.okta.counters();
    assert_eq!(
        (c.duo_pushes, c.duo_sessions, c.saml_issued),
        (1, 0, 0),
        "{c:?}"
    );
}

#[test]
fn a_push_nobody_answers_exits_13() {
    let env = with(DuoUniversalBehavior::Timeout);
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::MFA_TIMEOUT, "MFA timed out");
    let c = env.okta.counters();
    assert_eq!((c.duo_pushes, c.duo_sessions), (1, 0), "{c:?}");
}

#[test]
fn a_passcode_is_asked_again_after_a_wrong_one() {
    let env = with(DuoUniversalBehavior::ApproveAfter(1));
    let out = env.run_with_stdin(
        &["cred-process", "--mfa-duo-device", "passcode", "hub"],
        &format!("000000\n{PASSCODE}\n"),
    );
    cred_process_json(&out);
    assert!(
        stderr(&out).contains("Duo did not accept that passcode; try again (2 left)"),
        "{}",
        stderr(&out)
    );
    let c = env.okta.counters();
    assert_eq!(
        (c.bad_codes, c.duo_pushes, c.duo_calls, c.duo_sessions),
        (1, 0, 0, 1),
        "{c:?}"
    );

    // Three wrong ones end the login; no session, no fourth try.
    let env = with(DuoUniversalBehavior::ApproveAfter(1));
    let out = env.run_with_stdin(
        &["cred-process", "--mfa-duo-device", "Passcode", "hub"],
        "111111\n222222\n333333\n444444\n",
    );
    assert_exit(&out, exit::MFA_FAILED, "Duo rejected the passcode 3 times");
    let c = env.okta.counters();
    assert_eq!((c.bad_codes, c.duo_sessions), (3, 0), "{c:?}");
}

#[test]
fn a_phone_call_to_a_chosen_device() {
    let env = with(DuoUniversalBehavior::ApproveAfter(3));
    let out = env.run(&[
        "cred-process",
        "--mfa-duo-device",
        "phone2:Phone Call",
        "hub",
    ]);
    cred_process_json(&out);
    assert!(
        stderr(&out).contains("Waiting for you to answer Duo's phone call"),
        "{}",
        stderr(&out)
    );
    let c = env.okta.counters();
    assert_eq!(
        (c.duo_calls, c.duo_pushes, c.duo_status_polls),
        (1, 0, 3),
        "{c:?}"
    );
    let prompt = env
        .okta
        .state()
        .duo_received()
        .into_iter()
        .find(|r| r.starts_with("POST /frame/prompt"))
        .unwrap();
    assert!(
        prompt.contains("factor=Phone+Call") && prompt.contains("device=phone2"),
        "{prompt}"
    );

    // The config's mfa_duo_device works the same way; a device Duo does not list is named
    // before anything is sent to a phone.
    let env = with(DuoUniversalBehavior::ApproveAfter(1));
    env.write_config(&config_text().replace("[okta]\n", "[okta]\nmfa_duo_device = call\n"));
    cred_process_json(&env.run(&["cred-process", "hub"]));
    assert_eq!(env.okta.counters().duo_calls, 1);
    let out = env.run(&[
        "cred-process",
        "--no-cache",
        "--mfa-duo-device",
        "tablet9",
        "hub",
    ]);
    assert_exit(&out, exit::MFA_FAILED, "Duo lists no device 'tablet9'");
    assert!(
        stderr(&out).contains("phone1 (phone1 (XXX-XXX-1111))"),
        "{}",
        stderr(&out)
    );
    let c = env.okta.counters();
    assert_eq!((c.duo_calls, c.duo_pushes), (1, 0), "{c:?}");
}

#[test]
fn a_remembered_device_skips_duo() {
    // Okta's "once per device" policy: verified with rememberDevice=true, Okta's callback
    // remembers the DT, and the next login needs no MFA at all.
    let env = env_with(
        duo(DuoUniversalBehavior::ApproveAfter(1)),
        Config {
            allow_remember_device: true,
            ..Config::default()
        },
    );
    cred_process_json(&env.run(&["cred-process", "hub"]));
    let verify = env
        .okta
        .state()
        .received()
        .into_iter()
        .find(|r| r.contains("/verify"))
        .unwrap();
    assert!(verify.contains("rememberDevice=true"), "{verify}");
    let c = env.okta.counters();
    assert_eq!((c.duo_pushes, c.devices_remembered), (1, 1), "{c:?}");
    env.clear_aws_cache();
    env.okta.invalidate_sessions();
    cred_process_json(&env.run(&["cred-process", "hub"]));
    let c = env.okta.counters();
    assert_eq!(
        (c.duo_pushes, c.remembered_device_logins, c.duo_sessions),
        (1, 1, 1),
        "{c:?}"
    );

    // Duo remembering the device: its prompt goes straight back to Okta, no push.
    let env = with(DuoUniversalBehavior::Remembered);
    cred_process_json(&env.run(&["cred-process", "hub"]));
    let c = env.okta.counters();
    assert_eq!(
        (
            c.duo_pushes,
            c.duo_status_polls,
            c.duo_sessions,
            c.saml_issued
        ),
        (0, 0, 1, 1),
        "{c:?}"
    );
    assert_secrets_stayed_home(&env);
}

#[test]
fn redirects_to_unexpected_hosts_are_refused_and_get_nothing() {
    // Duo's prompt sending the browser to a third host, with Duo's sid and tx in the query.
    let evil = CannedServer::start(200, "text/html", "<html></html>");
    let env = redirected(DuoRedirect::Frameless(format!("{}/frame", evil.url)));
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::OKTA_API, "neither the Okta org");
    assert_eq!(evil.count(), 0, "{}", evil.received());
    assert_eq!(env.okta.counters().duo_pushes, 0);
    assert_secrets_stayed_home(&env);

    // Duo's exit going somewhere other than Okta: the OIDC code is not carried there.
    let evil = CannedServer::start(200, "text/html", "<html></html>");
    let env = redirected(DuoRedirect::Exit(format!("{}/callback", evil.url)));
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::OKTA_API, "neither the Okta org");
    assert_eq!(evil.count(), 0, "{}", evil.received());
    let c = env.okta.counters();
    assert_eq!(
        (c.duo_pushes, c.duo_sessions, c.saml_issued),
        (1, 0, 0),
        "{c:?}"
    );
    assert_secrets_stayed_home(&env);

    // Okta's redirect naming a host that only looks like Duo's: nothing is sent anywhere.
    let env = redirected(DuoRedirect::Prompt(
        "https://api-1.duosecurity.com.evil.example/oauth/v1/authorize?client_id=x".into(),
    ));
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::OKTA_API, "not a Duo Security host");
    assert!(env.okta.state().duo_received().is_empty());
}

#[test]
fn what_only_a_browser_can_do_is_said() {
    // Only a security key enrolled in Duo: WebAuthn runs only in Duo's prompt in a browser.
    let env = with(DuoUniversalBehavior::WebAuthnOnly);
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::MFA_FAILED, "WebAuthn Credential");
    assert!(
        stderr(&out).contains("only in a browser"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.okta.counters().duo_pushes, 0);

    // On an Identity Engine org the message points to the device flow.
    let env = env_with(
        duo(DuoUniversalBehavior::WebAuthnOnly),
        Config {
            pipeline: "idx".into(),
            ..Config::default()
        },
    );
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::MFA_FAILED, "okta_auth_flow = device");

    // Duo's policy denying the device: no login form to fill in.
    let env = with(DuoUniversalBehavior::DeviceDenied);
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::MFA_FAILED, "offers no sign-in form");
    assert!(
        stderr(&out).contains("deny this device"),
        "{}",
        stderr(&out)
    );
}
