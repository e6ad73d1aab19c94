//! Fault injection: a proxy (tests/it/common/chaos.rs) in front of the fake Okta or moto injects
//! slow answers, cut and truncated bodies, HTML error pages, 429 storms and STS throttling;
//! other tests break the local state (cache entries, a process killed mid-login). Each checks
//! the message, the exit code and that what the user had (stored credentials) still works.
use crate::common::chaos;

use crate::common::*;
use chaos::{Chaos, Fault};
use fake_okta::Config;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A TestEnv whose stored Okta domain is a chaos proxy in front of the fake Okta. The rule
/// applies while `broken` is true; afterwards everything passes.
fn behind_proxy(
    config: Config,
    rule: impl Fn(&str, u32) -> Fault + Send + Sync + 'static,
) -> (TestEnv, Chaos, Arc<AtomicBool>) {
    let env = TestEnv::new(config);
    let broken = Arc::new(AtomicBool::new(false));
    let flag = broken.clone();
    let proxy = Chaos::start(&env.okta.url(), move |line, i| {
        if flag.load(Ordering::SeqCst) {
            rule(line, i)
        } else {
            Fault::Pass
        }
    });
    let out = env.run_with_stdin(
        &["add", "--domain", &proxy.url, "--username", USERNAME],
        &format!("{PASSWORD}\n"),
    );
    assert!(out.status.success(), "add: {}", stderr(&out));
    broken.store(true, Ordering::SeqCst);
    (env, proxy, broken)
}

fn authn(line: &str) -> bool {
    line.starts_with("POST /api/v1/authn ")
}

/// After the fault is gone, the stored credentials still log in.
fn still_works(env: &TestEnv, broken: &AtomicBool) {
    broken.store(false, Ordering::SeqCst);
    cred_process_json(&env.run(&["cred-process", "spoke"]));
}

fn one_error_line(out: &std::process::Output) -> String {
    let err = stderr(out);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("aws-okta:")).collect();
    assert_eq!(lines.len(), 1, "one error line: {err}");
    lines[0].to_string()
}

#[test]
fn html_error_page_with_200_is_a_network_error() {
    let (env, _proxy, broken) = behind_proxy(Config::default(), |line, _| {
        if authn(line) {
            Fault::Reply {
                status: 200,
                content_type: "text/html",
                body: "<html><body><h1>Service temporarily unavailable</h1></body></html>".into(),
                headers: vec![],
            }
        } else {
            Fault::Pass
        }
    });
    let out = env.run(&["cred-process", "spoke"]);
    assert_eq!(code(&out), exit::NETWORK, "{}", stderr(&out));
    let line = one_error_line(&out);
    assert!(line.contains("unexpected body"), "{line}");
    assert!(!line.contains("<html>"), "no raw page dumped: {line}");
    still_works(&env, &broken);
}

#[test]
fn truncated_json_is_a_network_error() {
    let (env, _proxy, broken) = behind_proxy(Config::default(), |line, _| {
        if authn(line) {
            Fault::TruncateBody
        } else {
            Fault::Pass
        }
    });
    let out = env.run(&["cred-process", "spoke"]);
    assert_eq!(code(&out), exit::NETWORK, "{}", stderr(&out));
    assert!(one_error_line(&out).contains("unexpected body"));
    still_works(&env, &broken);
}

#[test]
fn connection_dropped_mid_body_is_a_network_error() {
    let (env, _proxy, broken) = behind_proxy(Config::default(), |line, _| {
        if authn(line) {
            Fault::CutMidBody
        } else {
            Fault::Pass
        }
    });
    let out = env.run(&["cred-process", "spoke"]);
    assert_eq!(code(&out), exit::NETWORK, "{}", stderr(&out));
    let line = one_error_line(&out);
    assert!(line.contains("Okta"), "{line}");
    still_works(&env, &broken);
}

#[test]
fn a_429_storm_with_a_far_reset_gives_up_at_once_with_code_17() {
    let (env, proxy, broken) = behind_proxy(Config::default(), |line, _| {
        if authn(line) {
            let reset = chrono::Utc::now().timestamp() + 3600;
            Fault::Reply {
                status: 429,
                content_type: "application/json",
                body: r#"{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too many requests.","errorCauses":[]}"#.into(),
                headers: vec![("X-Rate-Limit-Reset".into(), reset.to_string())],
            }
        } else {
            Fault::Pass
        }
    });
    let before = proxy.requests();
    let out = env.run(&["cred-process", "spoke"]);
    assert_eq!(code(&out), exit::RATE_LIMITED, "{}", stderr(&out));
    assert!(one_error_line(&out).contains("Okta is rate limiting"));
    assert_eq!(
        proxy.requests() - before,
        1,
        "no retry when the window is an hour away"
    );
    still_works(&env, &broken);
}

#[test]
fn a_429_storm_is_retried_a_bounded_number_of_times() {
    let (env, proxy, broken) = behind_proxy(Config::default(), |line, _| {
        if authn(line) {
            Fault::Reply {
                status: 429,
                content_type: "application/json",
                body: r#"{"errorCode":"E0000047","errorSummary":"rate limit","errorCauses":[]}"#
                    .into(),
                headers: vec![],
            }
        } else {
            Fault::Pass
        }
    });
    let before = proxy.requests();
    let out = env.run(&["cred-process", "spoke"]);
    assert_eq!(code(&out), exit::RATE_LIMITED, "{}", stderr(&out));
    let attempts = proxy.requests() - before;
    assert!((2..=4).contains(&attempts), "bounded retries: {attempts}");
    still_works(&env, &broken);
}

#[test]
fn slow_okta_beyond_the_client_timeout_is_a_network_error() {
    let (mut env, _proxy, broken) = behind_proxy(Config::default(), |line, _| {
        if authn(line) {
            Fault::Delay(Duration::from_secs(3))
        } else {
            Fault::Pass
        }
    });
    env.extra_env
        .push(("AWS_OKTA_HTTP_TIMEOUT".into(), "300ms".into()));
    let out = env.run(&["cred-process", "spoke"]);
    assert_eq!(code(&out), exit::NETWORK, "{}", stderr(&out));
    let line = one_error_line(&out);
    assert!(line.contains("timed out"), "{line}");
    env.extra_env.clear();
    still_works(&env, &broken);
}

#[test]
fn sts_throttling_is_retried_by_the_sdk_and_then_succeeds() {
    let mut env = TestEnv::new(Config::default());
    env.add();
    let sts = Chaos::start(&env.sts_url, |_, index| {
        if index < 2 {
            Fault::Reply {
                status: 400,
                content_type: "text/xml",
                body: "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>1</RequestId></ErrorResponse>".into(),
                headers: vec![],
            }
        } else {
            Fault::Pass
        }
    });
    env.sts_url = sts.url.clone();
    let json = cred_process_json(&env.run(&["cred-process", "spoke"]));
    assert!(json["SessionToken"].as_str().is_some());
    assert!(
        sts.requests() >= 4,
        "2 throttled + 2 hops: {}",
        sts.requests()
    );
}

#[test]
fn sts_response_cut_mid_body_is_reported_and_nothing_is_cached() {
    let mut env = TestEnv::new(Config::default());
    env.add();
    let good = env.sts_url.clone();
    let sts = Chaos::start(&env.sts_url, |_, _| Fault::CutMidBody);
    env.sts_url = sts.url.clone();
    let out = env.run(&["cred-process", "hub"]);
    assert_ne!(code(&out), 0);
    assert!(
        [16, 18].contains(&code(&out)),
        "STS or network code: {}",
        stderr(&out)
    );
    assert!(one_error_line(&out).contains("STS"), "{}", stderr(&out));
    // The Okta session of the failed login was remembered (it is stored beside the STS
    // call, and finishes even when STS fails): the retry needs no second push.
    let c = env.okta.counters();
    assert_eq!((c.authn, c.pushes, c.sessions_me), (1, 1, 1), "{c:?}");
    env.sts_url = good;
    cred_process_json(&env.run(&["cred-process", "hub"]));
    let c = env.okta.counters();
    assert_eq!(
        (c.authn, c.pushes),
        (1, 1),
        "the retry logged in again: {c:?}"
    );
}

#[test]
fn a_process_killed_mid_login_leaves_nothing_that_breaks_the_next_run() {
    // The app link is stalled, so the process is killed while it holds the login lock and
    // has a fresh Okta session token in memory.
    let (env, proxy, broken) = behind_proxy(Config::default(), |line, _| {
        if line.starts_with("GET /home/") {
            Fault::Delay(Duration::from_secs(5))
        } else {
            Fault::Pass
        }
    });
    let mut child = env
        .cmd(&["cred-process", "spoke"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !proxy.transcript().contains("GET /home/") {
        assert!(
            std::time::Instant::now() < deadline,
            "never reached the app link"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    broken.store(false, Ordering::SeqCst);
    let out = env.run(&["cred-process", "spoke"]);
    cred_process_json(&out);
    still_works(&env, &broken);
}

#[test]
fn a_stale_temporary_file_from_a_killed_write_is_harmless() {
    let env = TestEnv::new(Config::default());
    env.add();
    cred_process_json(&env.run(&["cred-process", "spoke"]));
    // What a write killed before its rename leaves: a partial temporary file.
    let mut planted = 0;
    for dir in env.file_backend_dirs() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(stem) = name.strip_suffix(".enc") {
                let data = std::fs::read(entry.path()).unwrap();
                std::fs::write(
                    dir.join(format!("{stem}.tmp999999")),
                    &data[..data.len() / 2],
                )
                .unwrap();
                planted += 1;
            }
        }
    }
    assert!(planted > 0);
    env.clear_aws_cache();
    cred_process_json(&env.run(&["cred-process", "spoke"]));
    cred_process_json(&env.run(&["cred-process", "spoke"]));
}

#[test]
fn a_corrupt_cache_entry_is_ignored_and_replaced() {
    let env = TestEnv::new(Config::default());
    env.add();
    let first = cred_process_json(&env.run(&["cred-process", "hub"]));
    let mut corrupted = 0;
    for path in env.credential_cache_files() {
        std::fs::write(path, b"AOK1 not a sealed item").unwrap();
        corrupted += 1;
    }
    assert!(corrupted > 0);
    let out = env.run(&["cred-process", "hub"]);
    let second = cred_process_json(&out);
    assert_ne!(first["AccessKeyId"], second["AccessKeyId"], "fetched anew");
    let third = cred_process_json(&env.run(&["cred-process", "hub"]));
    assert_eq!(second, third, "the replaced entry is served");
}

#[test]
fn secrets_never_reach_stdout_or_stderr_and_files_are_private() {
    let mut env = TestEnv::new(Config::default());
    let okta = Chaos::start(&env.okta.url(), |_, _| Fault::Pass);
    let sts = Chaos::start(&env.sts_url, |_, _| Fault::Pass);
    env.sts_url = sts.url.clone();
    let out = env.run_with_stdin(
        &["add", "--domain", &okta.url, "--username", USERNAME],
        &format!("{PASSWORD}\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env.run(&["--debug", "cred-process", "spoke"]);
    let json = cred_process_json(&out);
    let (out_text, err_text) = (stdout(&out), stderr(&out));
    assert!(
        err_text.contains("sts AssumeRole"),
        "debug is on: {err_text}"
    );

    let wire = format!("{}\n{}", okta.transcript(), sts.transcript());
    let mut secrets = vec![PASSWORD.to_string()];
    for (start, end) in [
        ("\"sessionToken\":\"", "\""),
        ("\"stateToken\":\"", "\""),
        ("sid=", ";"),
        ("name=\"SAMLResponse\" type=\"hidden\" value=\"", "\""),
        ("<SecretAccessKey>", "</SecretAccessKey>"),
        ("<SessionToken>", "</SessionToken>"),
    ] {
        let mut rest = wire.as_str();
        while let Some(i) = rest.find(start) {
            rest = &rest[i + start.len()..];
            let value: String = rest.chars().take_while(|c| !end.starts_with(*c)).collect();
            if value.len() >= 8 {
                secrets.push(value.chars().take(40).collect());
            }
        }
    }
    assert!(
        secrets.len() >= 6,
        "the transcript holds the secrets: {}",
        secrets.len()
    );
    let printed = [
        json["SecretAccessKey"].as_str().unwrap(),
        json["SessionToken"].as_str().unwrap(),
    ];
    for secret in &secrets {
        assert!(
            !err_text.contains(secret.as_str()),
            "secret on stderr: {secret}"
        );
        let asked_for = printed.iter().any(|p| p.starts_with(secret.as_str()));
        assert!(
            asked_for || !out_text.contains(secret.as_str()),
            "a secret other than the spoke's credentials on stdout: {secret}"
        );
    }

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for dir in env.file_backend_dirs() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let mode = entry.metadata().unwrap().permissions().mode();
                assert_eq!(mode & 0o077, 0, "{} is {:o}", entry.path().display(), mode);
            }
        }
    }
}

#[test]
fn an_unreachable_keychain_names_the_backend_and_the_file_fallback() {
    let mut env = TestEnv::new(Config::default());
    env.add(); // file backend: what the user has
    env.use_backend("secret-service");
    env.extra_env.push((
        "DBUS_SESSION_BUS_ADDRESS".into(),
        "unix:path=/nonexistent/bus".into(),
    ));
    let out = env.run(&["cred-process", "spoke"]);
    assert_eq!(code(&out), exit::KEYCHAIN, "{}", stderr(&out));
    let line = one_error_line(&out);
    assert!(
        line.contains("keychain (secret-service)") && line.contains("--backend file"),
        "{line}"
    );
    assert_eq!(env.okta.counters().total, 0, "nothing sent to Okta");
    env.backend = "file".into();
    env.extra_env.clear();
    cred_process_json(&env.run(&["cred-process", "spoke"]));
}

#[test]
fn a_locked_file_keychain_without_a_passphrase_says_how_to_unlock_it() {
    let mut env = TestEnv::new(Config::default());
    env.add();
    cred_process_json(&env.run(&["cred-process", "spoke"]));
    env.extra_env
        .push(("AWS_OKTA_FILE_PASSPHRASE".into(), String::new()));
    // Cached credentials are sealed by the kernel session key and need no passphrase; a login
    // needs the Okta password, which only the passphrase opens.
    cred_process_json(&env.run(&["cred-process", "spoke"]));
    env.clear_aws_cache();
    let out = env.run(&["cred-process", "spoke"]);
    assert_eq!(code(&out), exit::KEYCHAIN, "{}", stderr(&out));
    let line = one_error_line(&out);
    assert!(
        line.contains("keychain (file)") && line.contains("AWS_OKTA_FILE_PASSPHRASE"),
        "{line}"
    );
    env.extra_env.clear();
    cred_process_json(&env.run(&["cred-process", "spoke"]));
}

/// Replaces STS's `<Expiration>` with `at`.
fn expiring_at(body: &str, at: &str) -> String {
    match (body.find("<Expiration>"), body.find("</Expiration>")) {
        (Some(start), Some(end)) => format!("{}<Expiration>{at}{}", &body[..start], &body[end..]),
        _ => body.to_string(),
    }
}

#[test]
fn a_clock_ahead_of_aws_is_named_and_the_credentials_still_work_uncached() {
    let mut env = TestEnv::new(Config::default());
    env.add();
    // What a machine whose clock runs years ahead sees: credentials that "expired" in 2020.
    let sts = Chaos::start(&env.sts_url, |_, _| {
        Fault::Rewrite(|body| expiring_at(body, "2020-01-01T00:00:00Z"))
    });
    env.sts_url = sts.url.clone();
    let out = env.run(&["cred-process", "spoke"]);
    let json = cred_process_json(&out);
    assert_eq!(json["Expiration"], "2020-01-01T00:00:00Z", "what AWS said");
    let err = stderr(&out);
    assert!(
        err.contains("warning:")
            && err.contains("check the system clock")
            && err.contains("not cached"),
        "{err}"
    );
    assert!(env.credential_cache_files().is_empty(), "nothing cached");
    // Every run asks STS again (the Okta session is reused: no second push).
    let before = sts.requests();
    env.okta.reset_counters();
    cred_process_json(&env.run(&["cred-process", "spoke"]));
    assert_eq!(sts.requests() - before, 2);
    assert_eq!(env.okta.counters().pushes, 0);
}

#[test]
fn a_clock_behind_aws_counts_the_validity_on_the_local_clock() {
    let mut env = TestEnv::new(Config::default());
    env.add();
    // A clock years behind: STS's expiry looks decades away.
    let sts = Chaos::start(&env.sts_url, |_, _| {
        Fault::Rewrite(|body| expiring_at(body, "2099-01-01T00:00:00Z"))
    });
    env.sts_url = sts.url.clone();
    let out = env.run(&["cred-process", "spoke"]);
    let json = cred_process_json(&out);
    let expiration =
        chrono::DateTime::parse_from_rfc3339(json["Expiration"].as_str().unwrap()).unwrap();
    let left = expiration.signed_duration_since(chrono::Utc::now());
    assert!(
        left > chrono::Duration::minutes(55) && left <= chrono::Duration::minutes(60),
        "one hour (assume_role_ttl) by the local clock, not 2099: {expiration}"
    );
    assert!(
        stderr(&out).contains("clock seems about"),
        "{}",
        stderr(&out)
    );
    // Cached for that hour: the next run asks nobody.
    let before = sts.requests();
    let again = cred_process_json(&env.run(&["cred-process", "spoke"]));
    assert_eq!(again, json);
    assert_eq!(sts.requests(), before);
}

#[test]
fn an_unwritable_cache_directory_costs_the_next_run_a_login_not_this_one_its_credentials() {
    let env = TestEnv::new(Config::default());
    env.add();
    // As root no mode bit stops a write; a file where the directory should be does.
    let blocker = env.home().join(".aws-okta/cache");
    std::fs::write(&blocker, b"not a directory").unwrap();
    std::fs::create_dir_all(env.home().join(".aws-okta/keyring")).unwrap();
    let items_before = std::fs::read_dir(env.home().join(".aws-okta/keyring"))
        .unwrap()
        .count();
    let out = env.run(&["cred-process", "spoke"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    cred_process_json(&out);
    let err = stderr(&out);
    assert!(
        err.contains("warning: cannot cache the credentials of profile 'hub'")
            && err.contains("next command logs in again"),
        "{err}"
    );
    // The Okta session was kept, so the next run needs no push; the password is still there.
    env.okta.reset_counters();
    cred_process_json(&env.run(&["cred-process", "spoke"]));
    let c = env.okta.counters();
    assert_eq!((c.authn, c.pushes), (0, 0), "{c:?}");
    assert!(
        std::fs::read_dir(env.home().join(".aws-okta/keyring"))
            .unwrap()
            .count()
            >= items_before
    );
    assert_eq!(
        std::fs::read(&blocker).unwrap(),
        b"not a directory",
        "left as it was"
    );

    // Once the directory can be written, caching resumes.
    std::fs::remove_file(&blocker).unwrap();
    let first = cred_process_json(&env.run(&["cred-process", "spoke"]));
    env.okta.reset_counters();
    assert_eq!(
        cred_process_json(&env.run(&["cred-process", "spoke"])),
        first
    );
    assert_eq!(env.okta.counters().total, 0);
}
