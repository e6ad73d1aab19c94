//! Black-box tests of the `aws-okta` binary against the fake Okta and the moto STS emulator.

use crate::common::*;
use fake_okta::{
    AccountState, Config, Factor, PushBehavior, SamlRole, DEFAULT_HUB_ROLE, DEFAULT_PROVIDER,
};

fn push(behavior: PushBehavior, number_challenge: Option<u32>) -> Config {
    Config {
        factors: vec![Factor::Push {
            id: "opf1push".into(),
            behavior,
            number_challenge,
        }],
        ..Config::default()
    }
}

fn totp_config() -> Config {
    Config {
        factors: vec![Factor::Totp {
            id: "uft1totp".into(),
            provider: "GOOGLE".into(),
            code: "123456".into(),
        }],
        ..Config::default()
    }
}

fn ready() -> TestEnv {
    let env = TestEnv::new(push(PushBehavior::ApproveAfter(2), None));
    env.add();
    env
}

#[test]
fn exec_runs_the_command_as_the_spoke_role_and_passes_its_exit_code() {
    let env = ready();
    let out = env.run(&[
        "exec",
        "spoke",
        "--",
        "sh",
        "-c",
        "echo role=$AWS_OKTA_ASSUMED_ROLE_ARN; echo region=$AWS_REGION/$AWS_DEFAULT_REGION; \
         echo profile=$AWS_OKTA_PROFILE; test -n \"$AWS_SESSION_TOKEN\" && test \"$AWS_SESSION_TOKEN\" = \"$AWS_SECURITY_TOKEN\" && echo token-ok; \
         echo exp=$AWS_CREDENTIAL_EXPIRATION; echo aws_profile=${AWS_PROFILE-unset}; exit 7",
    ]);
    assert_eq!(code(&out), 7, "stderr: {}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("role=arn:aws:sts::222222222222:assumed-role/spoke-admin/"),
        "{text}"
    );
    assert!(text.contains("region=us-west-2/us-west-2"), "{text}");
    assert!(text.contains("profile=spoke"), "{text}");
    assert!(text.contains("token-ok"), "{text}");
    assert!(text.contains("aws_profile=unset"), "{text}");
    let exp = text.lines().find_map(|l| l.strip_prefix("exp=")).unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(exp).is_ok(), "{exp}");
    let c = env.okta.counters();
    assert_eq!((c.authn, c.pushes, c.polls), (1, 1, 2), "{c:?}");
}

#[test]
fn exec_removes_aws_profile_and_runs_the_shell_by_default() {
    let mut env = ready();
    env.extra_env.push(("AWS_PROFILE".into(), "spoke".into()));
    env.extra_env.push(("SHELL".into(), "/bin/sh".into()));
    let out = env
        .cmd(&["exec", "hub"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"echo shell:${AWS_PROFILE-none}:$AWS_OKTA_PROFILE\nexit 3\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert_eq!(code(&out), 3);
    assert!(stdout(&out).contains("shell:none:hub"), "{}", stdout(&out));
}

#[test]
fn cred_process_prints_the_aws_json_and_a_warm_cache_makes_no_request() {
    let mut env = ready();
    let first = cred_process_json(&env.run(&["cred-process", "spoke"]));
    assert_eq!(first["Version"], 1);
    for key in ["AccessKeyId", "SecretAccessKey", "SessionToken"] {
        assert!(
            first[key].as_str().is_some_and(|v| !v.is_empty()),
            "{key}: {first}"
        );
    }
    let expiration = first["Expiration"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(expiration).is_ok(),
        "{expiration}"
    );

    env.okta.reset_counters();
    // Any STS request now would fail: nothing listens there.
    env.sts_url = format!("http://127.0.0.1:{}", free_port());
    let second = cred_process_json(&env.run(&["cred-process", "spoke"]));
    assert_eq!(second, first, "served from the cache");
    assert_eq!(env.okta.counters().total, 0, "no request to Okta");

    let pretty = env.run(&["cred-process", "--pretty", "spoke"]);
    assert!(
        stdout(&pretty).contains("\n  \"Version\": 1"),
        "{}",
        stdout(&pretty)
    );
}

#[test]
fn env_prints_shell_quoted_exports() {
    let env = ready();
    let out = env.run(&["env", "sub"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("unset AWS_PROFILE"), "{text}");
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_OKTA_ASSUMED_ROLE_ARN",
    ] {
        assert!(text.contains(&format!("export {var}=")), "{var}: {text}");
    }
    assert!(
        text.contains("assumed-role/sub-ops/"),
        "three-hop chain reaches the sub-spoke: {text}"
    );
    assert!(
        text.contains("export AWS_REGION=us-west-2"),
        "region inherited from spoke: {text}"
    );
    // The output is valid shell: evaluating it sets the variables.
    let check = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{text}\necho \"$AWS_OKTA_PROFILE\""))
        .output()
        .unwrap();
    assert_eq!(stdout(&check).trim(), "sub");
}

#[test]
fn number_challenge_is_shown_on_stderr() {
    let env = TestEnv::new(push(PushBehavior::ApproveAfter(2), Some(47)));
    env.add();
    let out = env.run(&["cred-process", "hub"]);
    cred_process_json(&out);
    assert!(stderr(&out).contains("tap 47"), "{}", stderr(&out));
}

#[test]
fn rejected_push_fails_with_its_own_code() {
    let env = TestEnv::new(push(PushBehavior::Reject, None));
    env.add();
    let out = env.run(&["cred-process", "spoke"]);
    assert_exit(&out, exit::MFA_REJECTED, "MFA was rejected");
    assert_eq!(
        stderr(&out)
            .lines()
            .filter(|l| l.starts_with("aws-okta:"))
            .count(),
        1
    );
}

#[test]
fn timed_out_push_fails_with_its_own_code() {
    let env = TestEnv::new(push(PushBehavior::Timeout, None));
    env.add();
    let out = env.run(&["cred-process", "spoke"]);
    assert_exit(&out, exit::MFA_TIMEOUT, "MFA timed out");
}

#[test]
fn wrong_password_is_tried_once_and_says_how_to_fix_it() {
    let env = TestEnv::new(push(PushBehavior::ApproveAfter(1), None));
    env.add_password("not the password");
    let out = env.run(&["cred-process", "spoke"]);
    assert_exit(&out, exit::AUTH_FAILED, "aws-okta add");
    assert_eq!(env.okta.counters().authn, 1, "never retried");
}

#[test]
fn locked_out_and_expired_password_have_clear_messages() {
    for (state, needle) in [
        (AccountState::LockedOut, "locked out"),
        (AccountState::PasswordExpired, "has expired"),
    ] {
        let env = TestEnv::new(Config {
            account: state.clone(),
            ..Config::default()
        });
        env.add();
        let out = env.run(&["cred-process", "hub"]);
        assert_eq!(
            code(&out),
            exit::ACCOUNT_STATE,
            "{state:?}: {}",
            stderr(&out)
        );
        assert!(stderr(&out).contains(needle), "{state:?}: {}", stderr(&out));
    }
}

#[test]
fn password_warning_is_shown_and_login_continues() {
    let env = TestEnv::new(Config {
        account: AccountState::PasswordWarn,
        password_warn_days: 3,
        ..Config::default()
    });
    env.add();
    let out = env.run(&["cred-process", "hub"]);
    cred_process_json(&out);
    assert!(
        stderr(&out).contains("expires in 3 day"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn totp_code_from_stdin_is_accepted_and_a_wrong_one_rejected() {
    let env = TestEnv::new(totp_config());
    env.add();
    let bad = env.run_with_stdin(&["cred-process", "hub"], "000000\n");
    assert_exit(&bad, exit::MFA_FAILED, "rejected the MFA code");
    let good = env.run_with_stdin(&["cred-process", "hub"], "123456\n");
    cred_process_json(&good);
}

#[test]
fn several_factors_without_a_terminal_need_a_choice() {
    let mut config = totp_config();
    config.factors.push(Factor::Push {
        id: "opf1push".into(),
        behavior: PushBehavior::ApproveAfter(1),
        number_challenge: None,
    });
    let env = TestEnv::new(config);
    env.add();
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::MFA_FAILED, "--mfa-provider");
    let chosen = env.run(&["cred-process", "--mfa-factor-type", "push", "hub"]);
    cred_process_json(&chosen);
    assert_eq!(env.okta.counters().pushes, 1);
}

#[test]
fn rate_limits_and_server_errors_are_retried() {
    let env = TestEnv::new(Config {
        rate_limit_first: 1,
        unavailable_first: 1,
        ..Config::default()
    });
    env.add();
    let out = env.run(&["cred-process", "hub"]);
    cred_process_json(&out);
    assert_eq!(env.okta.counters().authn, 3, "429, 503, then success");
}

#[test]
fn persistent_server_errors_fail_with_the_network_code() {
    let env = TestEnv::new(Config {
        unavailable_first: 100,
        ..Config::default()
    });
    env.add();
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::NETWORK, "Okta is unavailable (HTTP 503");
}

#[test]
fn persistent_rate_limiting_fails_with_its_own_code() {
    let env = TestEnv::new(Config {
        rate_limit_first: 100,
        ..Config::default()
    });
    env.add();
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::RATE_LIMITED, "rate limiting");
}

#[test]
fn the_okta_session_is_reused_before_asking_for_a_push() {
    let env = ready();
    cred_process_json(&env.run(&["cred-process", "hub"]));
    env.clear_aws_cache();
    env.okta.reset_counters();
    cred_process_json(&env.run(&["cred-process", "hub"]));
    let c = env.okta.counters();
    assert_eq!((c.authn, c.pushes, c.saml_issued), (0, 0, 1), "{c:?}");

    // Once Okta ends the session, the next run logs in again.
    env.clear_aws_cache();
    env.okta.invalidate_sessions();
    env.okta.reset_counters();
    cred_process_json(&env.run(&["cred-process", "hub"]));
    let c = env.okta.counters();
    assert_eq!((c.authn, c.pushes), (1, 1), "{c:?}");
}

#[test]
fn parallel_invocations_share_one_login() {
    let env = ready();
    let children: Vec<_> = (0..8)
        .map(|_| {
            env.cmd(&["cred-process", "spoke"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let keys: std::collections::BTreeSet<String> = outputs
        .iter()
        .map(|o| {
            cred_process_json(o)["AccessKeyId"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(keys.len(), 1, "all eight got the same cached credentials");
    let c = env.okta.counters();
    assert_eq!((c.authn, c.pushes), (1, 1), "{c:?}");
}

#[test]
fn debug_logs_redact_every_secret() {
    let env = ready();
    let out = env.run(&["--debug", "cred-process", "spoke"]);
    let json = cred_process_json(&out);
    let err = stderr(&out);
    assert!(
        err.contains("okta primary authentication"),
        "debug logging is on: {err}"
    );
    assert!(err.contains("sts AssumeRole"), "{err}");
    let mut secrets = vec![PASSWORD.to_string()];
    for key in ["SecretAccessKey", "SessionToken", "AccessKeyId"] {
        secrets.push(json[key].as_str().unwrap().to_string());
    }
    for secret in &secrets {
        assert!(
            !err.contains(secret.as_str()),
            "secret leaked into --debug output: {err}"
        );
    }
    assert!(!err.contains("sessionToken="), "{err}");
    assert!(!err.contains("SAMLResponse"), "{err}");
    assert!(!err.contains("PHNhbWxw"), "no base64 SAML: {err}");
    assert!(!err.to_lowercase().contains("sid="), "{err}");
}

#[test]
fn the_password_is_not_in_argv_env_or_plain_files() {
    let env = ready();
    let probe = env.run(&[
        "exec",
        "hub",
        "--",
        "sh",
        "-c",
        "env; cat /proc/self/cmdline",
    ]);
    assert!(probe.status.success(), "{}", stderr(&probe));
    assert!(!stdout(&probe).contains(PASSWORD));
    for entry in walk(env.home()) {
        let data = std::fs::read(&entry).unwrap();
        assert!(
            !data
                .windows(PASSWORD.len())
                .any(|w| w == PASSWORD.as_bytes()),
            "password in {}",
            entry.display()
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn saml_without_the_configured_role_names_what_is_offered() {
    let env = TestEnv::new(Config {
        roles: vec![SamlRole {
            role_arn: "arn:aws:iam::111111111111:role/other".into(),
            provider_arn: DEFAULT_PROVIDER.into(),
        }],
        ..Config::default()
    });
    env.add();
    let out = env.run(&["cred-process", "spoke"]);
    assert_exit(&out, exit::SAML, DEFAULT_HUB_ROLE);
    assert!(stderr(&out).contains("role/other"), "{}", stderr(&out));
}

#[test]
fn role_first_order_in_the_assertion_works() {
    let env = TestEnv::new(Config {
        role_first: true,
        ..Config::default()
    });
    env.add();
    cred_process_json(&env.run(&["cred-process", "spoke"]));
}

#[test]
fn config_errors_name_the_profile_and_exit_3() {
    let env = ready();
    let out = env.run(&["cred-process", "nope"]);
    assert_eq!(code(&out), exit::CONFIG);
    assert!(
        stderr(&out).contains("profile 'nope' not found"),
        "{}",
        stderr(&out)
    );

    env.write_config("[okta]\naws_saml_url = a/b\n[profile a]\nsource_profile = b\nrole_arn = arn:aws:iam::111111111111:role/x\n[profile b]\nsource_profile = a\nrole_arn = arn:aws:iam::111111111111:role/y\n");
    let out = env.run(&["exec", "a", "--", "true"]);
    assert_eq!(code(&out), exit::CONFIG);
    assert!(
        stderr(&out).contains("cycle a -> b -> a"),
        "{}",
        stderr(&out)
    );

    env.write_config("[profile hub\nrole_arn = x\n");
    let out = env.run(&["env", "hub"]);
    assert_eq!(code(&out), exit::CONFIG);
    assert!(
        stderr(&out).contains(":1: malformed config"),
        "{}",
        stderr(&out)
    );

    env.write_config("[profile hub]\nrole_arn = arn:aws:iam::111111111111:role/x\n");
    let out = env.run(&["env", "hub"]);
    assert_eq!(code(&out), exit::CONFIG);
    assert!(
        stderr(&out).contains("no way to reach Okta"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        env.okta.counters().total,
        0,
        "config errors are found before any request"
    );
}

#[test]
fn missing_stored_credentials_say_to_run_add() {
    let env = TestEnv::new(Config::default());
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::KEYCHAIN, "run `aws-okta add` first");
}

#[test]
fn add_refuses_plain_http_to_remote_hosts_and_empty_passwords() {
    let env = TestEnv::new(Config::default());
    let out = env.run_with_stdin(
        &[
            "add",
            "--domain",
            "http://example.okta.com",
            "--username",
            "u",
        ],
        "pw\n",
    );
    assert_exit(&out, exit::USAGE, "https");
    let out = env.run_with_stdin(
        &["add", "--domain", "example.okta.com", "--username", "u"],
        "\n",
    );
    assert_eq!(code(&out), exit::USAGE, "{}", stderr(&out));
    let out = env.run_with_stdin(&["add", "--domain", "example.okta.com"], "pw\n");
    assert_eq!(code(&out), exit::USAGE);
    assert!(
        stderr(&out).contains("--username is required"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn named_okta_accounts_use_their_own_keychain_item() {
    let env = TestEnv::new(Config::default());
    let out = env.add_account("work");
    assert_exit(&out, 0, "okta-creds-work");
    let missing = env.run(&["cred-process", "hub"]);
    assert_eq!(code(&missing), exit::KEYCHAIN, "default account not stored");
    env.write_config(&format!(
        "{}\nokta_account_name = work\n",
        config_text().replace(
            "[profile hub]\n",
            "[profile hub]\nokta_account_name = work\n"
        )
    ));
    cred_process_json(&env.run(&["cred-process", "spoke"]));
}

#[test]
fn list_shows_profiles_roles_and_sources() {
    let env = ready();
    let out = env.run(&["list"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.starts_with("PROFILE"), "{text}");
    let spoke = text.lines().find(|l| l.starts_with("spoke")).unwrap();
    assert!(
        spoke.contains(SPOKE_ROLE) && spoke.split_whitespace().nth(2) == Some("hub"),
        "{spoke}"
    );
    // The harness config is segmentio-style: aws-okta serves it, AWS SDKs cannot.
    assert!(spoke.contains("aws-okta only"), "{spoke}");
    let hub = text.lines().find(|l| l.starts_with("hub")).unwrap();
    assert!(hub.contains("okta (home/amazon_aws/"), "{hub}");
    assert_eq!(env.okta.counters().total, 0);
}

/// The harness config plus `n` spokes under `hub` (`gen0000`, ...), each in its own account.
fn with_spokes(n: usize) -> String {
    let mut text = config_text();
    for i in 0..n {
        text.push_str(&format!(
            "\n[profile gen{i:04}]\nsource_profile = hub\nrole_arn = arn:aws:iam::{:012}:role/team-{i}\n",
            300_000_000_000u64 + i as u64
        ));
    }
    text
}

#[test]
fn list_over_thousands_of_profiles_shows_each_once_with_its_role() {
    let env = ready();
    env.write_config(&with_spokes(2000));
    let out = env.run(&["list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let generated: Vec<&str> = text.lines().filter(|l| l.starts_with("gen")).collect();
    assert_eq!(generated.len(), 2000);
    for (i, line) in generated.iter().enumerate() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cols[0], format!("gen{i:04}"));
        assert_eq!(
            cols[1],
            format!(
                "arn:aws:iam::{:012}:role/team-{i}",
                300_000_000_000u64 + i as u64
            )
        );
        assert_eq!(cols[2], "hub", "{line}");
    }
    assert!(text.lines().any(|l| l.starts_with("spoke")), "{text}");
}

#[test]
fn list_into_a_pipe_closed_early_ends_quietly() {
    // `aws-okta list | head -1`: the reader goes away after the first line.
    let env = ready();
    env.write_config(&with_spokes(2000));
    let mut child = env
        .cmd(&["list"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "{:?}: {err}", out.status);
}

#[test]
fn sigterm_reaches_the_command() {
    let env = ready();
    cred_process_json(&env.run(&["cred-process", "hub"])); // warm the cache so exec starts at once
    let child = env
        .cmd(&[
            "exec",
            "hub",
            "--",
            "sh",
            "-c",
            "trap 'echo got-term; exit 42' TERM; echo ready; while true; do sleep 0.05; done",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut child = child;
    let mut stdout_pipe = child.stdout.take().unwrap();
    let mut first = [0u8; 6];
    std::io::Read::read_exact(&mut stdout_pipe, &mut first).unwrap();
    assert_eq!(&first, b"ready\n");
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout_pipe, &mut rest).unwrap();
    assert_eq!(status.code(), Some(42));
    assert!(rest.contains("got-term"));
}

#[test]
fn sts_access_denied_is_one_line_with_its_own_code() {
    let mut env = ready();
    let sts = sts_error_server(
        403,
        "AccessDenied",
        "User is not authorized to perform: sts:AssumeRoleWithSAML",
    );
    env.sts_url = sts.url.clone();
    let out = env.run(&["cred-process", "spoke"]);
    assert_eq!(code(&out), exit::STS, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(
            "STS AssumeRoleWithSAML for arn:aws:iam::111111111111:role/hub-team: access denied"
        ),
        "{err}"
    );
    assert_eq!(
        err.lines().filter(|l| l.starts_with("aws-okta:")).count(),
        1,
        "one line: {err}"
    );
}

#[test]
fn sts_throttling_and_outages_have_their_own_codes() {
    let mut env = ready();
    let throttled = sts_error_server(400, "Throttling", "Rate exceeded");
    env.sts_url = throttled.url.clone();
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::RATE_LIMITED, "AWS STS is rate limiting");
    assert!(throttled.count() > 1, "the SDK retried");

    let down = sts_error_server(503, "ServiceUnavailable", "Service is unavailable");
    env.sts_url = down.url.clone();
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::NETWORK, "AWS STS is unavailable (HTTP 503)");
}

#[test]
fn the_spoke_hop_reuses_cached_hub_credentials() {
    let env = ready();
    cred_process_json(&env.run(&["cred-process", "hub"]));
    env.okta.reset_counters();
    let out = env.run(&["cred-process", "spoke"]);
    cred_process_json(&out);
    assert_eq!(
        env.okta.counters().total,
        0,
        "hub credentials came from the cache"
    );
}

/// The file backend seals cached AWS credentials under a random key in the kernel session
/// keyring: a warm run needs neither the passphrase nor Argon2id; another login session, or a
/// `cache clear`, cannot open what was sealed.
#[test]
fn warm_file_backend_runs_need_no_passphrase_within_the_login_session_only() {
    let env = ready();
    let first = cred_process_json(&env.run(&["cred-process", "spoke"]));
    let files = env.credential_cache_files();
    assert!(!files.is_empty());
    let secret = first["SecretAccessKey"].as_str().unwrap();
    for path in &files {
        assert!(
            path.starts_with(env.home().join(".aws-okta/cache")),
            "{path:?}"
        );
        let raw = std::fs::read(path).unwrap();
        assert!(
            !raw.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "sealed"
        );
    }

    let no_passphrase = |cmd: &mut std::process::Command| {
        cmd.env_remove("AWS_OKTA_FILE_PASSPHRASE").output().unwrap()
    };
    let warm = no_passphrase(&mut env.cmd(&["cred-process", "spoke"]));
    assert_eq!(cred_process_json(&warm), first, "{}", stderr(&warm));

    // A new session keyring (another login session) has no key: a cache miss, so the cold
    // path needs the passphrase for the Okta password and says so.
    let inner = env.cmd(&["cred-process", "spoke"]);
    let mut other_session = std::process::Command::new("keyctl");
    other_session
        .args([
            "session",
            "-",
            env!("CARGO_BIN_EXE_aws-okta"),
            "cred-process",
            "spoke",
        ])
        .env_clear()
        .envs(inner.get_envs().filter_map(|(k, v)| Some((k, v?))));
    let out = no_passphrase(&mut other_session);
    assert_exit(&out, exit::KEYCHAIN, "AWS_OKTA_FILE_PASSPHRASE");

    // `cache clear` revokes the key: nothing sealed before can be read, in this session too.
    let out = env.run(&["cache", "clear"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = no_passphrase(&mut env.cmd(&["cred-process", "spoke"]));
    assert_eq!(code(&out), exit::KEYCHAIN, "{}", stderr(&out));
    let again = cred_process_json(&env.run(&["cred-process", "spoke"]));
    assert_ne!(again["AccessKeyId"], first["AccessKeyId"], "fetched anew");
}

/// Flags appear only on the commands that use them (`config init --help` lists no MFA flag),
/// and the old position before the command still works, as in segmentio's aws-okta.
#[test]
fn options_appear_where_they_apply_and_still_parse_before_the_command() {
    // Two factors: without a choice a script gets an error; the flag picks the code factor.
    let mut config = totp_config();
    config.factors.push(Factor::Push {
        id: "opf1push".into(),
        behavior: PushBehavior::Reject,
        number_challenge: None,
    });
    let env = TestEnv::new(config);
    env.add();
    let out = env.run_with_stdin(&["cred-process", "hub"], "123456\n");
    assert_ne!(code(&out), 0, "no factor chosen: {}", stderr(&out));
    let help = |args: &[&str]| stdout(&env.run(args));
    let init = help(&["config", "init", "--help"]);
    assert!(
        !init.contains("--mfa") && !init.contains("--backend"),
        "{init}"
    );
    let top = help(&["--help"]);
    assert!(!top.contains("--mfa") && top.contains("--debug"), "{top}");
    let exec = help(&["exec", "--help"]);
    for flag in [
        "--mfa-factor-type",
        "--backend",
        "--auth-flow",
        "--no-browser",
    ] {
        assert!(exec.contains(flag), "{flag}: {exec}");
    }
    assert!(help(&["cache", "list", "--help"]).contains("--backend"));

    // Before and after the command, the factor choice is honoured.
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
    let out = env.run_with_stdin(
        &[
            "cred-process",
            "hub",
            "--no-cache",
            "--mfa-factor-type",
            "token:software:totp",
        ],
        "123456\n",
    );
    cred_process_json(&out);
}

/// The man page and completions that release archives carry (dist/, see dist-workspace.toml)
/// are what the binary prints: regenerate them with `aws-okta man > dist/aws-okta.1` and
/// `aws-okta completion SHELL > dist/completions/aws-okta.SHELL` when this fails.
#[test]
fn the_release_archives_man_page_and_completions_are_current() {
    let env = TestEnv::new(Config::default());
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
    assert_eq!(stdout(&env.run(&["man"])), read("dist/aws-okta.1"));
    for shell in ["bash", "zsh", "fish", "powershell"] {
        assert_eq!(
            stdout(&env.run(&["completion", shell])),
            read(&format!("dist/completions/aws-okta.{shell}")),
            "{shell}"
        );
    }
}

#[test]
fn a_bad_setting_in_the_environment_names_its_variable_before_any_request() {
    let mut env = TestEnv::new(Config::default());
    env.add();
    env.extra_env
        .push(("AWS_OKTA_HTTP_TIMEOUT".into(), "forever".into()));
    let out = env.run(&["cred-process", "spoke"]);
    assert_eq!(code(&out), exit::CONFIG, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("AWS_OKTA_HTTP_TIMEOUT: invalid duration 'forever'"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.okta.counters().total, 0, "no request to Okta");
}
