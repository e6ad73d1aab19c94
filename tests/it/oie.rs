//! Black-box tests of the Okta Identity Engine flows (Direct Authentication with push or TOTP,
//! the device flow, refresh from the keychain, Web SSO token → SAML, the OIDC hub trust)
//! against the fake Okta's OAuth endpoints on an `idx` org, with moto as STS.

use crate::common::*;
use fake_okta::{
    Config, DeviceBehavior, OAuthConfig, OobBehavior, DEFAULT_AUTH_SERVER, DEFAULT_CLIENT_ID,
    DEFAULT_HUB_ROLE,
};
use std::time::{Duration, Instant};

fn idx(oauth: OAuthConfig) -> Config {
    Config {
        pipeline: "idx".into(),
        oauth,
        ..Config::default()
    }
}

fn push(push: OobBehavior) -> OAuthConfig {
    OAuthConfig {
        push,
        ..OAuthConfig::default()
    }
}

/// The harness config plus the OIDC client id (and any extra `[okta]` keys).
fn config_with(extra: &str) -> String {
    config_text().replacen(
        "[okta]\n",
        &format!("[okta]\nokta_oidc_client_id = {DEFAULT_CLIENT_ID}\n{extra}"),
        1,
    )
}

fn env_with(config: Config, extra: &str) -> TestEnv {
    let env = TestEnv::new(config);
    env.write_config(&config_with(extra));
    env.add();
    env
}

#[test]
fn direct_push_shows_the_binding_code_and_ends_in_spoke_credentials_through_web_sso() {
    let env = env_with(
        idx(OAuthConfig {
            push: OobBehavior::ApproveAfter(2),
            binding_code: Some("42".into()),
            ..OAuthConfig::default()
        }),
        "",
    );
    let out = env.run(&["cred-process", "spoke"]);
    let json = cred_process_json(&out);
    assert!(json["SessionToken"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(stderr(&out).contains("tap 42"), "{}", stderr(&out));
    let o = env.okta.oauth_counters();
    assert_eq!(
        (
            o.password_grants,
            o.challenges,
            o.oob_polls,
            o.token_exchanges,
            o.web_sso_logins
        ),
        (1, 1, 3, 1, 1),
        "{o:?}"
    );
    let c = env.okta.counters();
    assert_eq!((c.authn, c.app_link), (0, 0), "classic API unused: {c:?}");
    assert_eq!(
        env.okta.oob_grant_types(),
        vec!["http://auth0.com/oauth/grant-type/mfa-oob"; 3]
    );
}

#[test]
fn direct_push_answers_map_to_their_own_exit_codes() {
    for (behavior, exit, words) in [
        (OobBehavior::Reject, 12, "rejected"),
        (OobBehavior::Expire, 13, "expired"),
        (OobBehavior::Deny, 22, "denied"),
    ] {
        let env = env_with(idx(push(behavior.clone())), "");
        let out = env.run(&["cred-process", "hub"]);
        assert_eq!(code(&out), exit, "{behavior:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(words), "{}", stderr(&out));
        assert_eq!(env.okta.oauth_counters().token_exchanges, 0);
    }
}

#[test]
fn slow_down_during_a_push_waits_longer_and_still_succeeds() {
    let env = env_with(idx(push(OobBehavior::SlowDownThenApproveAfter(1))), "");
    cred_process_json(&env.run(&["cred-process", "hub"]));
    let o = env.okta.oauth_counters();
    assert_eq!((o.slow_downs, o.oob_polls), (1, 3), "{o:?}");
}

#[test]
fn totp_through_the_mfa_otp_grant() {
    let env = env_with(idx(OAuthConfig::default()), "");
    let out = env.run_with_stdin(
        &[
            "--mfa-factor-type",
            "token:software:totp",
            "cred-process",
            "hub",
        ],
        "123456\n",
    );
    cred_process_json(&out);
    let o = env.okta.oauth_counters();
    assert_eq!((o.otp_grants, o.challenges), (1, 0), "{o:?}");

    let env = env_with(
        idx(OAuthConfig::default()),
        "mfa_factor_type = token:software:totp\n",
    );
    let out = env.run_with_stdin(&["cred-process", "hub"], "000000\n");
    assert_eq!(code(&out), exit::MFA_FAILED, "{}", stderr(&out));
}

#[test]
fn later_runs_refresh_from_the_keychain_without_any_user_step() {
    let env = env_with(idx(OAuthConfig::default()), "");
    let cold = Instant::now();
    cred_process_json(&env.run(&["cred-process", "spoke"]));
    let cold_time = cold.elapsed();
    let cold_requests = env.okta.counters().total;

    env.clear_aws_cache();
    env.okta.reset_counters();
    let warm = Instant::now();
    cred_process_json(&env.run(&["cred-process", "spoke"]));
    let warm_time = warm.elapsed();
    let o = env.okta.oauth_counters();
    assert_eq!(
        (
            o.password_grants,
            o.challenges,
            o.refresh_grants,
            o.token_exchanges
        ),
        (1, 1, 1, 2),
        "counters are cumulative for oauth: {o:?}"
    );
    // refresh + exchange + /login/token/sso; the pipeline comes from the keychain.
    assert_eq!(env.okta.counters().total, 3);
    eprintln!(
        "measured: cold direct login {cold_requests} requests in {cold_time:?}; refresh-only login 3 requests in {warm_time:?}"
    );
}

#[test]
fn a_revoked_refresh_token_falls_back_to_a_fresh_login() {
    let env = env_with(idx(OAuthConfig::default()), "");
    cred_process_json(&env.run(&["cred-process", "hub"]));
    // Corrupt the stored refresh token: Okta answers invalid_grant.
    let dir = env.home().join(".aws-okta/keyring");
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with("okta-oauth-")
        {
            std::fs::remove_file(entry.path()).unwrap();
        }
    }
    env.clear_aws_cache();
    cred_process_json(&env.run(&["cred-process", "hub"]));
    assert_eq!(env.okta.oauth_counters().password_grants, 2);
}

#[test]
fn eight_parallel_cold_invocations_share_one_password_grant_and_one_push() {
    let env = env_with(idx(push(OobBehavior::ApproveAfter(3))), "");
    let children: Vec<_> = (0..8)
        .map(|i| {
            let profile = if i % 2 == 0 { "spoke" } else { "hub" };
            env.cmd(&["cred-process", profile])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        cred_process_json(&child.wait_with_output().unwrap());
    }
    let o = env.okta.oauth_counters();
    assert_eq!((o.password_grants, o.challenges), (1, 1), "{o:?}");
}

#[test]
fn device_flow_prints_the_code_polls_through_slow_down_and_logs_in() {
    let env = env_with(
        idx(OAuthConfig {
            device: DeviceBehavior::SlowDownThenApproveAfter(2),
            ..OAuthConfig::default()
        }),
        "okta_auth_flow = device\n",
    );
    let out = env.run(&["cred-process", "spoke"]);
    cred_process_json(&out);
    let err = stderr(&out);
    assert!(err.contains("/activate?user_code="), "{err}");
    assert!(err.contains("confirm the code"), "{err}");
    let o = env.okta.oauth_counters();
    assert_eq!(
        (
            o.device_authorizations,
            o.slow_downs,
            o.device_polls,
            o.password_grants,
            o.web_sso_logins
        ),
        (1, 1, 4, 0, 1),
        "{o:?}"
    );
}

#[test]
fn device_flow_waits_for_the_browser_approval() {
    let env = env_with(
        idx(OAuthConfig {
            device: DeviceBehavior::Manual,
            ..OAuthConfig::default()
        }),
        "",
    );
    let child = env
        .cmd(&["--auth-flow", "device", "cred-process", "hub"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while env.okta.oauth_counters().device_polls < 3 {
        assert!(Instant::now() < deadline, "no device polls");
        std::thread::sleep(Duration::from_millis(20));
    }
    env.okta.approve_devices();
    cred_process_json(&child.wait_with_output().unwrap());
}

#[test]
fn device_flow_denial_and_expiry_have_their_own_exit_codes() {
    for (device, exit) in [(DeviceBehavior::Deny, 22), (DeviceBehavior::Expire, 13)] {
        let mut env = env_with(
            idx(OAuthConfig {
                device: device.clone(),
                ..OAuthConfig::default()
            }),
            "",
        );
        env.extra_env
            .push(("AWS_OKTA_AUTH_FLOW".into(), "device".into()));
        let out = env.run(&["cred-process", "hub"]);
        assert_eq!(code(&out), exit, "{device:?}: {}", stderr(&out));
    }
}

#[test]
fn admin_fixable_setup_errors_say_what_to_change() {
    let cases: Vec<(OAuthConfig, &str, i32, &str)> = vec![
        (
            OAuthConfig {
                client_id: "0oaSomeoneElse".into(),
                ..OAuthConfig::default()
            },
            "",
            21,
            "okta_oidc_client_id",
        ),
        (
            OAuthConfig {
                grants: vec!["password".into(), "refresh_token".into()],
                ..OAuthConfig::default()
            },
            "",
            21,
            "http://auth0.com/oauth/grant-type/mfa-oob",
        ),
        (
            OAuthConfig {
                web_sso_clients: Some(vec![]),
                ..OAuthConfig::default()
            },
            "",
            21,
            "allowed Web SSO clients",
        ),
        (
            OAuthConfig {
                user_assigned: false,
                ..OAuthConfig::default()
            },
            "",
            22,
            "not assigned",
        ),
        (
            OAuthConfig {
                device_sso: false,
                ..OAuthConfig::default()
            },
            "",
            21,
            "device_sso",
        ),
    ];
    for (oauth, extra, exit, words) in cases {
        let env = env_with(idx(oauth), extra);
        let out = env.run(&["cred-process", "hub"]);
        let err = stderr(&out);
        assert_eq!(code(&out), exit, "{words}: {err}");
        let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("aws-okta:")).collect();
        assert_eq!(errors.len(), 1, "one line: {err}");
        assert!(errors[0].contains(words), "{words}: {err}");
    }
}

#[test]
fn classic_on_an_identity_engine_org_fails_with_a_hint() {
    let env = TestEnv::new(idx(OAuthConfig::default()));
    env.add();
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::SAML, "Identity Engine");
    assert!(
        stderr(&out).contains("okta_oidc_client_id"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.okta.counters().saml_issued, 0);
}

#[test]
fn a_classic_org_keeps_the_classic_flow_even_with_a_client_id() {
    let env = env_with(Config::default(), "");
    cred_process_json(&env.run(&["cred-process", "hub"]));
    assert_eq!(env.okta.counters().authn, 1);
    assert_eq!(env.okta.oauth_counters().requests, 0);
}

#[test]
fn oidc_hub_trust_uses_assume_role_with_web_identity() {
    let env = env_with(
        idx(OAuthConfig::default()),
        &format!("okta_hub_trust = oidc\nokta_authorization_server = {DEFAULT_AUTH_SERVER}\n"),
    );
    let out = env.run(&[
        "exec",
        "hub",
        "--",
        "sh",
        "-c",
        "echo $AWS_OKTA_ASSUMED_ROLE_ARN",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let role = DEFAULT_HUB_ROLE.rsplit('/').next().unwrap();
    assert!(
        stdout(&out).contains(&format!("assumed-role/{role}/")),
        "{}",
        stdout(&out)
    );
    let o = env.okta.oauth_counters();
    assert_eq!(
        (o.token_exchanges, o.web_sso_logins, o.password_grants),
        (0, 0, 1),
        "{o:?}"
    );
}

#[test]
fn debug_logs_never_show_tokens_codes_or_secrets() {
    let env = env_with(
        idx(OAuthConfig {
            binding_code: Some("77".into()),
            ..OAuthConfig::default()
        }),
        "",
    );
    let out = env.run(&["--debug", "cred-process", "spoke"]);
    cred_process_json(&out);
    env.clear_aws_cache();
    let again = env.run(&["--debug", "cred-process", "spoke"]);
    cred_process_json(&again);
    let log = format!("{}{}", stderr(&out), stderr(&again));
    assert!(log.contains("okta login flow"), "{log}");
    assert!(log.contains("direct"), "{log}");
    let secrets: Vec<String> = env
        .okta
        .state()
        .oauth_values_seen()
        .into_iter()
        .filter(|v| {
            v.len() >= 12
                && v.contains('.')
                && !v.contains(' ')
                && !v.contains(':')
                && !v.contains('@')
        })
        .collect();
    assert!(secrets.len() >= 4, "{secrets:?}");
    for secret in secrets.iter().chain([PASSWORD.to_string()].iter()) {
        assert!(!log.contains(secret.as_str()), "leaked {secret}");
    }
    assert!(!log.contains("wst."), "web SSO token leaked");
}

#[test]
fn logout_revokes_the_refresh_token_and_forgets_it() {
    let env = env_with(idx(OAuthConfig::default()), "");
    cred_process_json(&env.run(&["cred-process", "hub"]));
    let out = env.run(&["logout"]);
    assert_exit(&out, 0, "Identity Engine tokens of 1 account");
    assert_eq!(env.okta.oauth_counters().revocations, 1);
    cred_process_json(&env.run(&["cred-process", "hub"]));
    let o = env.okta.oauth_counters();
    assert_eq!((o.password_grants, o.refresh_grants), (2, 0), "{o:?}");
}

#[test]
fn list_says_which_flow_a_profile_uses() {
    let env = TestEnv::new(Config::default());
    env.write_config(&format!(
        "{}[profile dev]\nrole_arn = {DEFAULT_HUB_ROLE}\nokta_oidc_client_id = {DEFAULT_CLIENT_ID}\nokta_auth_flow = device\n",
        config_text()
    ));
    let out = env.run(&["list"]);
    let text = stdout(&out);
    let line = |p: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{p} ")))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        line("hub").contains("okta (home/amazon_aws/0oa1abcdEFGH/272)"),
        "{text}"
    );
    assert!(!line("hub").contains("flow"), "{text}");
    assert!(
        line("dev").contains("flow device (okta_auth_flow)"),
        "{text}"
    );
    assert_eq!(env.okta.counters().total, 0, "no network");
}
