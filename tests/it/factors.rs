//! Black-box tests of every MFA factor, remembered devices, session validation, the authn
//! states and the hardened Okta client, against the fake Okta (Okta's documented wire format)
//! and the moto STS emulator. Interactive (pseudo-terminal) paths are in `tests/it/interactive.rs`.

use crate::common::*;
use fake_okta::{AccountState, Config, DuoBehavior, Factor, PushBehavior};

fn with(factors: Vec<Factor>) -> TestEnv {
    let env = TestEnv::new(Config {
        factors,
        ..Config::default()
    });
    env.add();
    env
}

fn sms() -> Factor {
    Factor::Sms {
        id: "sms1".into(),
        phone: "+1 415 555 2345".into(),
        code: "246810".into(),
    }
}

fn question() -> Factor {
    Factor::Question {
        id: "ufs1question".into(),
        question: "favorite_art_piece".into(),
        question_text: "What is your favorite piece of art?".into(),
        answer: "Mona Lisa".into(),
    }
}

fn duo(behavior: DuoBehavior) -> Factor {
    Factor::Duo {
        id: "dsf1duo".into(),
        behavior,
        devices: vec!["phone1".into(), "phone2".into()],
        passcode: "135790".into(),
    }
}

fn push() -> Factor {
    Factor::Push {
        id: "opf1push".into(),
        behavior: PushBehavior::ApproveAfter(1),
        number_challenge: None,
    }
}

fn assert_ok(out: &std::process::Output) {
    cred_process_json(out);
}

// ---------------------------------------------------------------------------------------------
// Factors

#[test]
fn sms_sends_the_text_then_verifies_the_code() {
    let env = with(vec![sms()]);
    let out = env.run_with_stdin(&["cred-process", "hub"], "246810\n");
    assert_ok(&out);
    assert!(
        stderr(&out).contains("sent a verification code by SMS to +1 XXX-XXX-2345"),
        "{}",
        stderr(&out)
    );
    let c = env.okta.counters();
    assert_eq!((c.codes_sent, c.bad_codes), (1, 0), "{c:?}");
}

#[test]
fn a_wrong_code_is_asked_again_up_to_three_times() {
    let env = with(vec![sms()]);
    let out = env.run_with_stdin(&["cred-process", "hub"], "111111\n222222\n246810\n");
    assert_ok(&out);
    assert!(stderr(&out).contains("1 left"), "{}", stderr(&out));
    assert_eq!(env.okta.counters().bad_codes, 2);

    let env = with(vec![sms()]);
    let out = env.run_with_stdin(&["cred-process", "hub"], "111111\n222222\n333333\n246810\n");
    assert_exit(&out, exit::MFA_FAILED, "rejected the MFA code 3 times");
    assert_eq!(env.okta.counters().bad_codes, 3, "stops after three");
}

#[test]
fn voice_call_and_email_codes_work_like_sms() {
    let env = with(vec![Factor::Call {
        id: "clf1call".into(),
        phone: "+1 415 555 9876".into(),
        code: "9911".into(),
    }]);
    let out = env.run_with_stdin(&["cred-process", "hub"], "9911\n");
    assert_ok(&out);
    assert!(stderr(&out).contains("by a voice call"), "{}", stderr(&out));

    let env = with(vec![Factor::Email {
        id: "emf1email".into(),
        email: "alice@example.com".into(),
        code: "55667788".into(),
    }]);
    let out = env.run_with_stdin(&["cred-process", "hub"], "55667788\n");
    assert_ok(&out);
    assert!(
        stderr(&out).contains("by email to a...e@example.com"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn yubikey_rsa_and_symantec_tokens_take_a_passcode() {
    let env = with(vec![
        Factor::YubiKey {
            id: "ykf1".into(),
            code: "cccccclkvbgtrnhhjjrndbtjdfcnidghulbjbctidvvk".into(),
        },
        Factor::Token {
            id: "rsa1".into(),
            provider: "RSA".into(),
            code: "24681357".into(),
        },
        Factor::Token {
            id: "vip1".into(),
            provider: "SYMANTEC".into(),
            code: "864209".into(),
        },
    ]);
    let out = env.run_with_stdin(
        &["cred-process", "--mfa-factor-type", "token:hardware", "hub"],
        "cccccclkvbgtrnhhjjrndbtjdfcnidghulbjbctidvvk\n",
    );
    assert_ok(&out);
    env.clear_aws_cache();
    env.okta.invalidate_sessions();
    // Provider and type match case-insensitively.
    let out = env.run_with_stdin(
        &[
            "cred-process",
            "--mfa-provider",
            "rsa",
            "--mfa-factor-type",
            "TOKEN",
            "hub",
        ],
        "24681357\n",
    );
    assert_ok(&out);
    env.clear_aws_cache();
    env.okta.invalidate_sessions();
    let mut env = env;
    env.extra_env
        .push(("AWS_OKTA_MFA_PROVIDER".into(), "Symantec".into()));
    let out = env.run_with_stdin(&["cred-process", "hub"], "864209\n");
    assert_ok(&out);
    assert_eq!(env.okta.counters().bad_codes, 0);
}

#[test]
fn security_question_is_answered() {
    let env = with(vec![question()]);
    let bad = env.run_with_stdin(&["cred-process", "hub"], "Guernica\n");
    assert_exit(&bad, exit::MFA_FAILED, "rejected");
    let good = env.run_with_stdin(&["cred-process", "hub"], "mona lisa\n");
    assert_ok(&good);
}

#[test]
fn duo_push_goes_through_the_duo_prompt_and_the_complete_link() {
    let env = with(vec![duo(DuoBehavior::Approve)]);
    let out = env.run(&["cred-process", "hub"]);
    assert_ok(&out);
    let c = env.okta.counters();
    assert_eq!((c.duo_pushes, c.bad_codes), (1, 0), "{c:?}");
}

#[test]
fn duo_denied_push_and_unknown_device_fail_clearly() {
    let env = with(vec![duo(DuoBehavior::Deny)]);
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::MFA_REJECTED, "Duo push denied");

    let mut env = with(vec![duo(DuoBehavior::Approve)]);
    env.extra_env
        .push(("AWS_OKTA_MFA_DUO_DEVICE".into(), "tablet9".into()));
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::MFA_FAILED, "Unknown device");
}

#[test]
fn duo_device_and_passcode_are_chosen_from_the_environment() {
    let mut env = with(vec![duo(DuoBehavior::Approve)]);
    env.extra_env
        .push(("AWS_OKTA_MFA_DUO_DEVICE".into(), "phone2".into()));
    assert_ok(&env.run(&["cred-process", "hub"]));

    let mut env = with(vec![duo(DuoBehavior::Deny)]);
    env.extra_env
        .push(("AWS_OKTA_MFA_DUO_DEVICE".into(), "passcode".into()));
    let out = env.run_with_stdin(&["cred-process", "hub"], "000000\n135790\n");
    assert_ok(&out);
    let c = env.okta.counters();
    assert_eq!((c.duo_pushes, c.bad_codes), (0, 1), "{c:?}");
}

#[test]
fn duo_device_from_the_flag_and_the_config() {
    let env = with(vec![duo(DuoBehavior::Approve)]);
    let out = env.run(&["cred-process", "--mfa-duo-device", "tablet9", "hub"]);
    assert_exit(&out, exit::MFA_FAILED, "Unknown device");
    assert_ok(&env.run(&["cred-process", "--mfa-duo-device", "phone2", "hub"]));

    let env = with(vec![duo(DuoBehavior::Approve)]);
    env.write_config(&config_text().replace("[okta]\n", "[okta]\nmfa_duo_device = tablet9\n"));
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::MFA_FAILED, "Unknown device");
}

fn soft_key_env(key: &fake_okta::webauthn::SoftKey, env: &mut TestEnv) {
    let path = env.home().join("soft-key.json");
    std::fs::write(
        &path,
        serde_json::json!({"credential_id": key.credential_id, "private_key": key.private_key})
            .to_string(),
    )
    .unwrap();
    env.extra_env.push((
        "AWS_OKTA_WEBAUTHN_SOFT_TOKEN".into(),
        path.display().to_string(),
    ));
}

#[test]
fn webauthn_assertion_from_a_software_key_is_verified_by_the_fake() {
    let key = fake_okta::webauthn::new_soft_key();
    let mut env = with(vec![Factor::WebAuthn {
        id: "fwf1webauthn".into(),
        credential_id: key.credential_id.clone(),
        public_key: key.public_key.clone(),
    }]);
    soft_key_env(&key, &mut env);
    let out = env.run(&["cred-process", "hub"]);
    assert_ok(&out);
    assert!(
        stderr(&out).contains("Touch your security key"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.okta.counters().webauthn_verified, 1);
}

#[test]
fn webauthn_with_the_wrong_key_or_no_key_says_so() {
    let enrolled = fake_okta::webauthn::new_soft_key();
    let other = fake_okta::webauthn::new_soft_key();
    let factor = Factor::WebAuthn {
        id: "fwf1webauthn".into(),
        credential_id: enrolled.credential_id.clone(),
        public_key: enrolled.public_key.clone(),
    };
    // Same credential id, wrong private key: the fake's signature check fails.
    let mut env = with(vec![factor.clone()]);
    let forged = fake_okta::webauthn::SoftKey {
        credential_id: enrolled.credential_id.clone(),
        private_key: other.private_key.clone(),
        public_key: other.public_key.clone(),
    };
    soft_key_env(&forged, &mut env);
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::MFA_FAILED, "rejected the security key");
    assert_eq!(env.okta.counters().webauthn_verified, 0);

    let env = with(vec![factor]);
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::MFA_FAILED, "no security key available");
}

#[test]
fn without_a_terminal_several_factors_list_every_one_and_the_flags() {
    let env = with(vec![push(), sms(), question(), duo(DuoBehavior::Approve)]);
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::MFA_FAILED, "--mfa-provider");
    for name in [
        "Okta Verify (push)",
        "SMS Authentication +1 XXX-XXX-2345",
        "Security Question",
        "Duo Security",
        "--mfa-factor-type web",
    ] {
        assert!(stderr(&out).contains(name), "{name}: {}", stderr(&out));
    }
}

// ---------------------------------------------------------------------------------------------
// Remembered device, sessions

#[test]
fn a_remembered_device_token_is_sent_on_the_next_login_and_skips_mfa() {
    let env = TestEnv::new(Config {
        factors: vec![push()],
        allow_remember_device: true,
        ..Config::default()
    });
    env.add();
    assert_ok(&env.run(&["cred-process", "hub"]));
    let c = env.okta.counters();
    assert_eq!((c.pushes, c.devices_remembered), (1, 1), "{c:?}");
    let first_cookies = env.okta.state().authn_cookies();
    assert!(
        !first_cookies[0].contains(&"DT".to_string()),
        "{first_cookies:?}"
    );

    // The session ends; the next login sends the DT and Okta's policy skips MFA.
    env.clear_aws_cache();
    env.okta.invalidate_sessions();
    env.okta.reset_counters();
    assert_ok(&env.run(&["cred-process", "hub"]));
    let c = env.okta.counters();
    assert_eq!(
        (c.authn, c.pushes, c.remembered_device_logins),
        (1, 0, 1),
        "{c:?}"
    );
    let cookies = env.okta.state().authn_cookies();
    assert!(cookies[1].contains(&"DT".to_string()), "{cookies:?}");
}

#[test]
fn without_the_policy_the_device_is_not_remembered() {
    let env = with(vec![push()]);
    assert_ok(&env.run(&["cred-process", "hub"]));
    env.clear_aws_cache();
    env.okta.invalidate_sessions();
    assert_ok(&env.run(&["cred-process", "hub"]));
    let c = env.okta.counters();
    assert_eq!((c.pushes, c.devices_remembered), (2, 0), "{c:?}");
}

#[test]
fn an_expired_session_is_detected_by_the_app_link_and_login_follows() {
    let env = with(vec![push()]);
    assert_ok(&env.run(&["cred-process", "hub"]));
    env.clear_aws_cache();
    env.okta.invalidate_sessions();
    env.okta.reset_counters();
    assert_ok(&env.run(&["cred-process", "hub"]));
    let c = env.okta.counters();
    // The dead session costs one app-link request (the sign-in page), no separate check; the
    // new session's end is read once after the login.
    assert_eq!((c.sessions_me, c.authn, c.pushes), (1, 1, 1), "{c:?}");
    assert_eq!(c.app_link, 2, "{c:?}");
}

#[test]
fn a_session_close_to_expiry_is_refreshed_and_reused() {
    // A 5-minute session is inside the 15-minute refresh window: extended before each use.
    let env = TestEnv::new(Config {
        factors: vec![push()],
        session_lifetime_secs: 300,
        ..Config::default()
    });
    env.add();
    assert_ok(&env.run(&["cred-process", "hub"]));
    env.clear_aws_cache();
    env.okta.reset_counters();
    assert_ok(&env.run(&["cred-process", "hub"]));
    let c = env.okta.counters();
    assert_eq!(
        (c.authn, c.pushes, c.session_refreshes, c.saml_issued),
        (0, 0, 1, 1),
        "{c:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Authn states

#[test]
fn every_account_state_has_its_message_and_exit_code() {
    for (state, exit, needle) in [
        (
            AccountState::LockedOut,
            11,
            "locked out: ask your Okta administrator",
        ),
        (AccountState::PasswordExpired, 11, "has expired"),
        (AccountState::MfaEnroll, 11, "/enduser/settings"),
        (AccountState::Unauthenticated, 11, "UNAUTHENTICATED"),
    ] {
        let env = TestEnv::new(Config {
            account: state.clone(),
            ..Config::default()
        });
        env.add();
        let out = env.run(&["cred-process", "hub"]);
        assert_eq!(code(&out), exit, "{state:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{state:?}: {}", stderr(&out));
    }
}

#[test]
fn password_warning_after_mfa_continues() {
    let env = TestEnv::new(Config {
        account: AccountState::PasswordWarn,
        password_warn_days: 2,
        factors: vec![sms()],
        ..Config::default()
    });
    env.add();
    let out = env.run_with_stdin(&["cred-process", "hub"], "246810\n");
    assert_ok(&out);
    assert!(
        stderr(&out).contains("expires in 2 day"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn app_level_step_up_mfa_is_detected_and_explained() {
    let env = TestEnv::new(Config {
        app_step_up: true,
        ..Config::default()
    });
    env.add();
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::SAML, "step-up MFA");
}

// ---------------------------------------------------------------------------------------------
// Client hardening

#[test]
fn a_wrong_password_is_posted_exactly_once_even_after_a_rate_limit() {
    let env = TestEnv::new(Config {
        rate_limit_first: 1,
        ..Config::default()
    });
    env.add_password("wrong password");
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::AUTH_FAILED, "aws-okta add");
    // One 429 (not processed by Okta), then the single 401.
    assert_eq!(env.okta.counters().authn, 2);
}

#[test]
fn an_html_page_instead_of_the_api_is_a_clear_error() {
    let env = TestEnv::new(Config {
        html_first: 10,
        ..Config::default()
    });
    env.add();
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(
        &out,
        18,
        "unexpected body (an HTML page) instead of Okta's JSON API",
    );
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    assert_eq!(env.okta.counters().authn, 1, "not retried");
}

#[test]
fn every_request_names_the_tool_and_version() {
    let env = with(vec![push()]);
    assert_ok(&env.run(&["cred-process", "hub"]));
    let agents = env.okta.state().user_agents();
    assert!(!agents.is_empty());
    let expected = format!("aws-okta/{}", env!("CARGO_PKG_VERSION"));
    assert!(agents.iter().all(|a| a == &expected), "{agents:?}");
}

#[test]
fn proxies_come_from_the_environment() {
    let mut env = with(vec![push()]);
    // A proxy that refuses connections: the request must go there, not to the fake.
    env.extra_env.push((
        "HTTP_PROXY".into(),
        format!("http://127.0.0.1:{}", free_port()),
    ));
    env.extra_env
        .push(("AWS_OKTA_CONNECT_TIMEOUT".into(), "2s".into()));
    let out = env.run(&["cred-process", "hub"]);
    assert_eq!(code(&out), exit::NETWORK, "{}", stderr(&out));
    assert_eq!(env.okta.counters().total, 0, "went through the proxy");
}

#[test]
fn debug_logs_never_show_codes_answers_tokens_or_device_tokens() {
    let key = fake_okta::webauthn::new_soft_key();
    let env = TestEnv::new(Config {
        factors: vec![
            Factor::Sms {
                id: "sms1".into(),
                phone: "+1 415 555 2345".into(),
                code: "k9Xq2Lm4".into(),
            },
            question(),
            duo(DuoBehavior::Approve),
            Factor::WebAuthn {
                id: "fwf1webauthn".into(),
                credential_id: key.credential_id.clone(),
                public_key: key.public_key.clone(),
            },
        ],
        ..Config::default()
    });
    env.add();
    let mut env = env;
    soft_key_env(&key, &mut env);
    let mut logs = String::new();
    for (factor_type, stdin) in [
        ("sms", "z8Wr1Pn3\nk9Xq2Lm4\n"),
        ("question", "Mona Lisa\n"),
        ("web", ""),
        ("webauthn", ""),
    ] {
        env.clear_aws_cache();
        env.okta.invalidate_sessions();
        let out = env.run_with_stdin(
            &[
                "--debug",
                "cred-process",
                "--mfa-factor-type",
                factor_type,
                "hub",
            ],
            stdin,
        );
        assert_ok(&out);
        logs.push_str(&stderr(&out));
    }
    assert!(logs.contains("okta verify factor"), "debug is on: {logs}");
    let mut secrets: Vec<String> = vec![
        "k9Xq2Lm4".into(),
        "z8Wr1Pn3".into(),
        "Mona Lisa".into(),
        key.private_key.clone(),
        PASSWORD.into(),
    ];
    secrets.extend(env.okta.state().issued_secrets());
    secrets.extend(env.okta.state().trusted_devices());
    assert!(secrets.len() > 10, "{secrets:?}");
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "secret {secret:?} leaked into --debug output: {logs}"
        );
    }
    assert!(!logs.contains("stateToken\":"), "{logs}");
    assert!(!logs.contains("DT="), "{logs}");
}

/// Reusing a live cached Okta session costs one request to Okta, the app link (HTTP: the
/// embed link and the redirect Okta answers it with to the app's SSO endpoint), and no
/// separate Sessions API check first.
#[test]
fn reusing_the_cached_session_is_one_request() {
    let env = with(vec![push()]);
    assert_ok(&env.run(&["cred-process", "hub"]));
    env.clear_aws_cache();
    env.okta.reset_counters();
    assert_ok(&env.run(&["cred-process", "hub"]));
    let c = env.okta.counters();
    assert_eq!((c.app_link, c.saml_issued, c.authn), (1, 1, 0), "{c:?}");
    assert_eq!((c.sessions_me, c.session_refreshes), (0, 0), "{c:?}");
    assert_eq!(c.total, 2, "the embed link and its redirect only: {c:?}");
}
