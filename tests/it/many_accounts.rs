//! Working across many accounts, as black boxes against the fake Okta, moto and a canned
//! federation endpoint: `each` over 20 profiles with one login, `doctor` in health and in
//! trouble, the console where and how it is asked for, and a shell whose credentials outlive
//! their session.

use crate::common::*;
use fake_okta::aws_signin::{FakeAwsSignin, SigninConfig};
use fake_okta::{Config, DEFAULT_HUB_ROLE, DEFAULT_SAML_PATH};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// The account id of spoke `n` (`200000000000` + n).
fn account(n: usize) -> String {
    format!("{:012}", 200_000_000_000u64 + n as u64)
}

/// `hub` plus `acct-00`..`acct-19`: 19 spokes under the hub (`acct-00`..`acct-04` in team
/// `payments`'s managed block) and `acct-19`, a SAML root whose role the assertion does not
/// offer (its credentials fail).
fn twenty_accounts() -> String {
    let mut text = format!(
        "[okta]\naws_saml_url = {DEFAULT_SAML_PATH}\n\n\
         [profile hub]\nokta_role_arn = {DEFAULT_HUB_ROLE}\nregion = us-east-1\n\n"
    );
    for n in 0..19 {
        if n == 0 {
            text.push_str("# BEGIN aws-okta team payments\n");
        }
        text.push_str(&format!(
            "[profile acct-{n:02}]\nokta_source_profile = hub\nokta_role_arn = arn:aws:iam::{}:role/ops\nregion = eu-west-1\n\n",
            account(n)
        ));
        if n == 4 {
            text.push_str("# END aws-okta team payments\n");
        }
    }
    text.push_str(
        "[profile acct-19]\nokta_role_arn = arn:aws:iam::999999999999:role/not-offered\n",
    );
    text
}

/// Prints the role it runs as, a line on stderr, and fails in acct-03 and acct-07.
const PROBE: &str = r#"echo "role=$AWS_OKTA_ASSUMED_ROLE_ARN"; echo "note from $AWS_OKTA_PROFILE" >&2
case "$AWS_OKTA_PROFILE" in acct-03|acct-07) exit 1;; esac"#;

#[test]
fn each_over_twenty_profiles_logs_in_once_and_counts_the_failures() {
    let env = TestEnv::new(Config::default());
    env.add();
    env.write_config(&twenty_accounts());

    let out = env.run(&[
        "each", "acct-*", "-j", "4", "--json", "--", "sh", "-c", PROBE,
    ]);
    let err = stderr(&out);
    assert_eq!(code(&out), 3, "two commands and one profile failed: {err}");
    let c = env.okta.counters();
    assert_eq!((c.authn, c.pushes), (1, 1), "one login for all: {c:?}");

    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let ends: Vec<&serde_json::Value> = lines.iter().filter(|l| l.get("exit").is_some()).collect();
    assert_eq!(ends.len(), 20, "one result per profile: {lines:?}");
    let exit_of = |profile: &str| {
        ends.iter()
            .find(|l| l["profile"] == profile)
            .unwrap_or_else(|| panic!("no result for {profile}"))
    };
    for n in 0..19 {
        let profile = format!("acct-{n:02}");
        let want = if n == 3 || n == 7 { 1 } else { 0 };
        assert_eq!(exit_of(&profile)["exit"], want, "{profile}");
        // Each command ran with its own account's credentials.
        let said: Vec<&serde_json::Value> = lines
            .iter()
            .filter(|l| l["profile"] == profile.as_str() && l.get("line").is_some())
            .collect();
        let role = format!("role=arn:aws:sts::{}:assumed-role/ops/", account(n));
        assert!(
            said.iter()
                .any(|l| l["stream"] == "stdout" && l["line"].as_str().unwrap().starts_with(&role)),
            "{profile}: {said:?}"
        );
        assert!(
            said.iter()
                .any(|l| l["stream"] == "stderr"
                    && l["line"] == format!("note from {profile}").as_str()),
            "{profile}: {said:?}"
        );
    }
    let refused = exit_of("acct-19");
    assert_eq!(refused["exit"], 15, "a SAML failure: {refused}");
    assert!(
        refused["error"].as_str().unwrap().contains("not-offered"),
        "{refused}"
    );

    // Warm, in text: every line prefixed with its profile, the failures on stderr, the same
    // exit code, and no new login.
    let out = env.run(&["each", "acct-0*", "acct-1*", "--", "sh", "-c", PROBE]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let text = stdout(&out);
    for n in [0, 5, 18] {
        let line = format!(
            "acct-{n:02} | role=arn:aws:sts::{}:assumed-role/ops/",
            account(n)
        );
        assert!(text.contains(&line), "{line}: {text}");
    }
    let err = stderr(&out);
    assert!(err.contains("acct-03 | exit 1"), "{err}");
    assert!(err.contains("acct-07 | note from acct-07"), "{err}");
    assert!(err.contains("acct-19 | aws-okta: "), "{err}");
    assert!(err.contains("17 of 20 profiles ok, 3 failed"), "{err}");
    let c = env.okta.counters();
    assert_eq!((c.authn, c.pushes), (1, 1), "{c:?}");

    // A team's managed block, narrowed by a pattern.
    let out = env.run(&[
        "each",
        "--team",
        "payments",
        "--",
        "sh",
        "-c",
        "echo $AWS_OKTA_PROFILE",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut ran: Vec<String> = stdout(&out)
        .lines()
        .map(|l| l.split(" | ").nth(1).unwrap().to_string())
        .collect();
    ran.sort();
    assert_eq!(ran, ["acct-00", "acct-01", "acct-02", "acct-03", "acct-04"]);
    let out = env.run(&["each", "--team", "payments", "*-0[34]", "--", "true"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("2 of 2 profiles ok"),
        "{}",
        stderr(&out)
    );
    assert_exit(
        &env.run(&["each", "--team", "ops", "--", "true"]),
        3,
        "it has payments",
    );
    assert_exit(
        &env.run(&["each", "nothing-*", "--", "true"]),
        2,
        "nothing-*",
    );
}

/// Ctrl-C (here SIGINT to aws-okta itself) stops every running command and starts no other.
#[test]
fn each_stops_everything_on_sigint() {
    let env = TestEnv::new(Config::default());
    env.add();
    env.write_config(&twenty_accounts());
    let started = Instant::now();
    let mut child = env
        .cmd(&[
            "each",
            "acct-0*",
            "-j",
            "3",
            "--json",
            "--",
            "sh",
            "-c",
            "echo started; sleep 60; echo never",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first command to start (the login is done by then).
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    assert!(first.contains("started"), "{first}");
    std::thread::sleep(Duration::from_millis(300));
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "stopped at once, not after the sleeps"
    );
    assert_eq!(status.code(), Some(130), "{first}{rest}");
    assert!(!rest.contains("never"), "{rest}");
    let ends: Vec<serde_json::Value> = format!("{first}{rest}")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|l: &serde_json::Value| l.get("exit").is_some())
        .collect();
    assert_eq!(ends.len(), 10, "every profile accounted for: {ends:?}");
    assert!(
        ends.iter().any(|e| e["exit"].is_null()),
        "some never started: {ends:?}"
    );
    assert!(
        ends.iter().filter(|e| e["exit"] == 130).count() >= 1,
        "the running ones got SIGINT: {ends:?}"
    );
}

/// `doctor`'s lines, by check name.
fn doctor(env: &TestEnv, extra: &[&str]) -> (i32, Vec<serde_json::Value>, String) {
    let mut args = vec!["doctor", "--json"];
    args.extend(extra);
    let out = env.run(&args);
    let checks = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (code(&out), checks, stderr(&out))
}

fn status_of<'a>(checks: &'a [serde_json::Value], check: &str) -> Vec<&'a str> {
    checks
        .iter()
        .filter(|c| c["check"] == check)
        .map(|c| c["status"].as_str().unwrap())
        .collect()
}

fn message_of(checks: &[serde_json::Value], check: &str) -> String {
    checks
        .iter()
        .filter(|c| c["check"] == check)
        .map(|c| format!("{} {}", c["message"], c["fix"]))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn doctor_on_a_healthy_setup_is_all_ok_and_never_shows_a_secret() {
    let env = TestEnv::new(Config::default());
    env.write_config(&sdk_native_config_text());
    env.add();
    let creds = cred_process_json(&env.run(&["cred-process", "spoke"]));

    let (exit, checks, err) = doctor(&env, &[]);
    assert_eq!(exit, 0, "{checks:?} {err}");
    for check in [
        "config",
        "keychain",
        "okta-credentials",
        "okta",
        "clock",
        "sts",
        "cache",
        "lock",
    ] {
        assert_eq!(status_of(&checks, check), ["ok"], "{check}: {checks:?}");
    }
    assert!(
        message_of(&checks, "okta").contains("Classic Engine"),
        "{checks:?}"
    );
    assert!(
        message_of(&checks, "okta-credentials").contains(USERNAME),
        "{checks:?}"
    );
    assert!(
        message_of(&checks, "cache").contains("2 fresh"),
        "{checks:?}"
    );
    assert!(
        message_of(&checks, "sts").contains(&env.sts_url),
        "{checks:?}"
    );

    // The text form: one line per check, the same verdicts.
    let out = env.run(&["doctor"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), checks.len(), "{text}");
    assert!(text.lines().all(|l| l.starts_with("ok ")), "{text}");

    // Never a secret, in either form.
    let everything = format!("{text}{}{}{:?}", stderr(&out), err, checks);
    let mut secrets: Vec<String> = env.okta.state().issued_secrets();
    secrets.push(PASSWORD.to_string());
    secrets.push("test file passphrase".to_string());
    for key in ["AccessKeyId", "SecretAccessKey", "SessionToken"] {
        secrets.push(creds[key].as_str().unwrap().to_string());
    }
    for secret in &secrets {
        assert!(
            !everything.contains(secret.as_str()),
            "{secret} shown: {everything}"
        );
    }

    // A lock file left by a killed login: a warning (exit still 0).
    let locks = env.home().join(".aws-okta/locks");
    std::fs::create_dir_all(&locks).unwrap();
    std::fs::write(locks.join("default.lock"), "999999999\n").unwrap();
    let (exit, checks, _) = doctor(&env, &[]);
    assert_eq!(exit, 0);
    assert_eq!(status_of(&checks, "lock"), ["warn"], "{checks:?}");
    assert!(
        message_of(&checks, "lock").contains("999999999"),
        "{checks:?}"
    );
}

#[test]
fn doctor_names_a_locked_or_unreachable_keychain_and_still_checks_the_org() {
    let mut env = TestEnv::new(Config::default());
    env.add();
    // The file keychain with the wrong passphrase.
    env.extra_env.push((
        "AWS_OKTA_FILE_PASSPHRASE".into(),
        "not the passphrase".into(),
    ));
    let (exit, checks, _) = doctor(&env, &[]);
    assert_eq!(exit, 23, "{checks:?}");
    assert_eq!(status_of(&checks, "keychain"), ["fail"], "{checks:?}");
    let said = message_of(&checks, "keychain");
    assert!(
        said.contains("wrong passphrase") && said.contains("AWS_OKTA_FILE_PASSPHRASE"),
        "{said}"
    );
    // The org comes from the account record: still checked.
    assert_eq!(status_of(&checks, "okta"), ["ok"], "{checks:?}");
    assert!(!format!("{checks:?}").contains("not the passphrase"));

    // The Secret Service with D-Bus pointing at nothing.
    env.extra_env.clear();
    env.use_backend("secret-service");
    env.extra_env.push((
        "DBUS_SESSION_BUS_ADDRESS".into(),
        "unix:path=/nonexistent/aws-okta-doctor-bus".into(),
    ));
    let (exit, checks, _) = doctor(&env, &[]);
    assert_eq!(exit, 23, "{checks:?}");
    assert_eq!(status_of(&checks, "keychain"), ["fail"], "{checks:?}");
    let said = message_of(&checks, "keychain");
    assert!(
        said.contains("secret-service") && said.contains("--backend file"),
        "{said}"
    );
}

#[test]
fn doctor_compares_the_clock_with_okta_date_header() {
    for (skew, status, exit) in [(600, "fail", 23), (-120, "warn", 0)] {
        let env = TestEnv::new(Config {
            clock_skew_secs: skew,
            ..Config::default()
        });
        env.write_config(&sdk_native_config_text());
        env.add();
        let (code, checks, _) = doctor(&env, &[]);
        assert_eq!(status_of(&checks, "clock"), [status], "{skew}: {checks:?}");
        assert_eq!(code, exit, "{skew}: {checks:?}");
        let clock = checks.iter().find(|c| c["check"] == "clock").unwrap();
        let measured = clock["details"]["skew_seconds"].as_i64().unwrap();
        // Ours minus theirs: the org's clock ahead means ours is behind.
        assert!((measured + skew).abs() <= 2, "{skew}: {clock}");
        assert!(clock["fix"].as_str().unwrap().contains("clock"), "{clock}");
    }
}

#[test]
fn doctor_says_when_okta_is_unreachable() {
    let env = TestEnv::new(Config::default());
    env.write_config(&sdk_native_config_text());
    let closed = format!("http://127.0.0.1:{}", free_port());
    let out = env.run_with_stdin(
        &["add", "--domain", &closed, "--username", USERNAME],
        &format!("{PASSWORD}\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let (exit, checks, _) = doctor(&env, &[]);
    assert_eq!(exit, 23, "{checks:?}");
    assert_eq!(status_of(&checks, "okta"), ["fail"], "{checks:?}");
    let said = message_of(&checks, "okta");
    assert!(
        said.contains("connection failed") && said.contains("127.0.0.1"),
        "{said}"
    );
    assert!(
        said.contains("proxy"),
        "the fix names the proxy settings: {said}"
    );
    // What does not depend on Okta is still fine.
    assert_eq!(status_of(&checks, "keychain"), ["ok"]);
    assert_eq!(status_of(&checks, "sts"), ["ok"]);
    // The text form says it on one line, with the fix.
    let out = env.run(&["doctor"]);
    assert_eq!(code(&out), exit::CHECK_FAILED);
    let line = stdout(&out)
        .lines()
        .find(|l| l.starts_with("fail  okta "))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("{}", stdout(&out)));
    assert!(line.contains("-> fix: "), "{line}");
}

fn federation(env: &mut TestEnv) -> CannedServer {
    let server = CannedServer::start(200, "application/json", r#"{"SigninToken":"tok-SECRET-9"}"#);
    env.extra_env.push((
        "AWS_OKTA_FEDERATION_ENDPOINT".into(),
        format!("{}/federation", server.url),
    ));
    server
}

fn destination(out: &std::process::Output) -> String {
    assert!(out.status.success(), "{}", stderr(out));
    let url = url::Url::parse(stdout(out).trim()).unwrap();
    let found = url
        .query_pairs()
        .find(|(k, _)| k == "Destination")
        .map(|(_, v)| v.into_owned());
    found.unwrap()
}

#[test]
fn login_lands_on_the_service_and_region_asked_for() {
    let mut env = TestEnv::new(Config::default());
    env.add();
    let fed = federation(&mut env);
    // A typo costs nothing: no Okta request, no push.
    assert_exit(
        &env.run(&["login", "spoke", "--stdout", "--service", "s4"]),
        2,
        "unknown console service 's4'",
    );
    assert_eq!(env.okta.counters().total, 0);

    let out = env.run(&[
        "login",
        "spoke",
        "--stdout",
        "--service",
        "s3",
        "--region",
        "eu-west-1",
    ]);
    assert_eq!(
        destination(&out),
        "https://eu-west-1.console.aws.amazon.com/s3/home?region=eu-west-1"
    );
    // IAM is global.
    let out = env.run(&[
        "login",
        "spoke",
        "--stdout",
        "--service",
        "iam",
        "--region",
        "eu-west-1",
    ]);
    assert_eq!(destination(&out), "https://console.aws.amazon.com/iam/home");
    // --region alone: the console home there.
    let out = env.run(&["login", "spoke", "--stdout", "--region", "ap-south-1"]);
    assert_eq!(
        destination(&out),
        "https://ap-south-1.console.aws.amazon.com/console/home?region=ap-south-1"
    );
    // The profile's default service, in the profile's region (us-west-2).
    env.write_config(&config_text().replace(
        "[profile spoke]\n",
        "[profile spoke]\nokta_console_service = cloudwatch\n",
    ));
    let out = env.run(&["login", "spoke", "--stdout"]);
    assert_eq!(
        destination(&out),
        "https://us-west-2.console.aws.amazon.com/cloudwatch/home?region=us-west-2"
    );
    assert_eq!(env.okta.counters().pushes, 1, "one login for all of them");
    assert_eq!(fed.count(), 4);
    assert_exit(
        &env.run(&[
            "login",
            "spoke",
            "--stdout",
            "--service",
            "s3",
            "--path",
            "/ec2/home",
        ]),
        2,
        "cannot be used with",
    );
}

/// A stand-in browser on PATH that records its arguments and the page it was given.
fn fake_browser(env: &TestEnv, name: &str) -> (PathBuf, String) {
    let bin = env.home().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let record = env.home().join(format!("{name}.opened"));
    let script = bin.join(name);
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nfor last; do :; done\ncat \"$last\" > '{r}.page'\nprintf '%s\\n' \"$@\" > '{r}.args.tmp'\nmv '{r}.args.tmp' '{r}.args'\n",
            r = record.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    (record, path)
}

fn opened(record: &Path) -> (Vec<String>, String) {
    let args = PathBuf::from(format!("{}.args", record.display()));
    let wait = Instant::now();
    while !args.exists() && wait.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let lines = std::fs::read_to_string(&args)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let page = std::fs::read_to_string(format!("{}.page", record.display())).unwrap();
    (lines, page)
}

#[test]
fn login_opens_a_chosen_browser_profile_or_container_with_the_url_never_in_argv() {
    let mut env = TestEnv::new(Config::default());
    env.add();
    federation(&mut env);

    let (record, path) = fake_browser(&env, "google-chrome");
    let out = env
        .cmd(&[
            "login",
            "spoke",
            "--browser",
            "chrome",
            "--browser-profile",
            "Profile 2",
        ])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let (args, page) = opened(&record);
    assert_eq!(args.len(), 2, "{args:?}");
    assert_eq!(args[0], "--profile-directory=Profile 2");
    assert!(
        args[1].contains(".aws-okta/signin/") && args[1].ends_with(".html"),
        "{args:?}"
    );
    assert!(!args.concat().contains("tok-SECRET-9"), "{args:?}");
    assert!(page.contains("SigninToken=tok-SECRET-9"), "{page}");

    // A container (from the profile's config): Firefox, a page that goes to ext+container:.
    env.write_config(&config_text().replace(
        "[profile spoke]\n",
        "[profile spoke]\nokta_console_container = prod admin\nokta_console_browser_profile = work\n",
    ));
    let (record, path) = fake_browser(&env, "firefox");
    let out = env
        .cmd(&["login", "spoke", "--browser", "firefox"])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let (args, page) = opened(&record);
    assert_eq!(args[..2], ["-P", "work"], "{args:?}");
    assert!(args[2].ends_with(".html"), "{args:?}");
    assert!(!args.concat().contains("tok-SECRET-9"), "{args:?}");
    assert!(
        page.contains("url=ext+container:name=prod+admin&amp;url=http%3A%2F%2F127.0.0.1"),
        "{page}"
    );
    assert!(page.contains("tok-SECRET-9"), "{page}");
}

/// An interactive shell from `exec PROFILE` keeps getting credentials after the first ones
/// expire, from the Okta session, with no new push.
#[test]
fn the_shell_of_exec_outlives_its_first_credentials() {
    use expectrl::{Eof, Session, WaitStatus};
    let mut env = TestEnv::new(Config::default());
    env.add();
    // The hub and spoke sessions last 20 s here (STS grants at least 15 min; aws-okta counts
    // the 20 s asked for), so they are truly over before the second call.
    env.write_config(
        &config_text()
            .replace(
                "region = us-east-1\n",
                "region = us-east-1\nsession_ttl = 20s\n",
            )
            .replace(
                "region = us-west-2\n",
                "region = us-west-2\nassume_role_ttl = 20s\n",
            ),
    );
    env.extra_env
        .push(("AWS_OKTA_EXPIRY_WINDOW".into(), "2s".into()));
    env.extra_env.push(("SHELL".into(), "/bin/sh".into()));
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    let probe = "import boto3, os; s = boto3.session.Session(); \
                 arn = s.client('sts').get_caller_identity()['Arn']; \
                 key = s.get_credentials().get_frozen_credentials().access_key; \
                 print('CALL', arn, key, os.environ.get('AWS_ACCESS_KEY_ID', 'no-static-key'))";

    let mut cmd = env.cmd(&["exec", "spoke"]);
    cmd.stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit());
    let mut shell = Session::spawn(cmd).expect("spawn in a pty");
    shell.set_expect_timeout(Some(Duration::from_secs(60)));
    let call = |shell: &mut Session| -> Vec<String> {
        shell
            .send_line(format!(
                "echo profile=$AWS_OKTA_PROFILE; {} -c \"{probe}\"",
                python.display()
            ))
            .unwrap();
        shell.expect("profile=spoke").unwrap();
        let found = shell.expect(expectrl::Regex("CALL [^\r\n]+")).unwrap();
        String::from_utf8_lossy(found.get(0).unwrap())
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    let first = call(&mut shell);
    let first_at = Instant::now();
    assert!(
        first[1].starts_with("arn:aws:sts::222222222222:assumed-role/spoke-admin/"),
        "{first:?}"
    );
    assert_eq!(
        first[3], "no-static-key",
        "served by the endpoint: {first:?}"
    );

    // Past the credentials' expiry and the endpoint's least refresh interval (60 s).
    std::thread::sleep(Duration::from_secs(62).saturating_sub(first_at.elapsed()));
    env.clear_aws_cache();
    let second = call(&mut shell);
    assert_eq!(second[1], first[1]);
    assert_ne!(second[2], first[2], "new credentials: {first:?} {second:?}");
    shell.send_line("exit 4").unwrap();
    shell.expect(Eof).unwrap();
    let status = shell.get_process().wait().unwrap();
    assert!(matches!(status, WaitStatus::Exited(_, 4)), "{status:?}");
    let c = env.okta.counters();
    assert_eq!((c.authn, c.pushes), (1, 1), "no new login: {c:?}");
    assert_eq!(
        c.app_link, 2,
        "a second assertion from the Okta session: {c:?}"
    );
}

/// Three roles in two accounts: the hub's two (hub-team, hub-readonly) and a sandbox admin.
fn three_roles() -> Config {
    let sandbox_idp = "arn:aws:iam::444444444444:saml-provider/okta";
    Config {
        roles: vec![
            fake_okta::SamlRole {
                role_arn: DEFAULT_HUB_ROLE.into(),
                provider_arn: fake_okta::DEFAULT_PROVIDER.into(),
            },
            fake_okta::SamlRole {
                role_arn: "arn:aws:iam::111111111111:role/hub-readonly".into(),
                provider_arn: fake_okta::DEFAULT_PROVIDER.into(),
            },
            fake_okta::SamlRole {
                role_arn: SANDBOX_ADMIN.into(),
                provider_arn: sandbox_idp.into(),
            },
        ],
        ..Config::default()
    }
}

const SANDBOX_ADMIN: &str = "arn:aws:iam::444444444444:role/admin";

/// AWS's sign-in host naming both accounts, and the test hook that sends the assertion there.
fn signin(env: &mut TestEnv, redirect: Option<String>) -> FakeAwsSignin {
    let server = FakeAwsSignin::start(SigninConfig {
        account_names: [
            ("111111111111".to_string(), "identity hub".to_string()),
            ("444444444444".to_string(), "sandbox".to_string()),
        ]
        .into(),
        redirect,
    });
    env.extra_env.push((
        "AWS_OKTA_SAML_SIGNIN_ENDPOINT".into(),
        format!("{}/saml", server.url()),
    ));
    server
}

#[test]
fn roles_lists_every_offered_role_with_account_names_and_profiles() {
    let mut env = TestEnv::new(three_roles());
    env.add();
    let page = signin(&mut env, None);

    let out = env.run(&["roles"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(
        lines,
        [
            "111111111111  identity hub  hub-team      hub",
            "111111111111  identity hub  hub-readonly  -",
            "444444444444  sandbox       admin         -",
        ],
        "{}",
        stdout(&out)
    );
    let cold = env.okta.counters();
    assert_eq!((cold.authn, cold.pushes), (1, 1), "{cold:?}");
    assert_eq!(page.saml_posts(), 1);
    eprintln!(
        "roles cold: Okta {} requests, sign-in page {}",
        cold.total,
        page.saml_posts()
    );

    // Warm: the Okta session, no push; the names from the cache, no sign-in page request.
    env.okta.reset_counters();
    let out = env.run(&["roles", "--json", "--account", "sand*"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let rows: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["account_name"], "sandbox");
    assert_eq!(rows[0]["role_arn"], SANDBOX_ADMIN);
    assert_eq!(
        rows[0]["principal_arn"],
        "arn:aws:iam::444444444444:saml-provider/okta"
    );
    let warm = env.okta.counters();
    assert_eq!((warm.authn, warm.pushes), (0, 0), "{warm:?}");
    assert_eq!(page.saml_posts(), 1, "names came from the cache");
    eprintln!("roles warm: Okta {} requests, sign-in page 0", warm.total);

    // The cache: private, no secret in it.
    let cache = env.home().join(".aws-okta/aws-account-names.json");
    let mode = std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&cache).unwrap();
    assert!(
        text.contains("\"sandbox\"") && !text.contains("SAML"),
        "{text}"
    );
    for secret in env.okta.state().issued_secrets() {
        assert!(!text.contains(&secret));
    }

    // Names in the team config win (what `config generate` writes).
    env.write_config(&config_text().replace(
        "[profile hub]\n",
        "[profile hub]\nokta_aws_account_name = identity-prod\n",
    ));
    let out = env.run(&["roles", "--account", "1111*"]);
    let text = stdout(&out);
    assert!(
        text.lines().all(|l| l.contains("identity-prod")) && text.lines().count() == 2,
        "{text}"
    );
    assert_eq!(page.saml_posts(), 1);
}

/// The SAML assertion is a bearer secret: it goes to AWS's sign-in host and nowhere else,
/// whatever the environment says and wherever that host redirects.
#[test]
fn the_saml_assertion_reaches_no_host_but_the_aws_sign_in_page() {
    let mut env = TestEnv::new(three_roles());
    env.add();
    let recorder = CannedServer::start(
        200,
        "text/html",
        "<div class=\"saml-account-name\">Account: stolen (111111111111)</div>",
    );
    // A 307 keeps the method and body: a client that follows it posts the assertion again.
    let page = signin(&mut env, Some(format!("{}/steal", recorder.url)));
    // The one variable that moves AWS traffic in test builds points at the recorder too.
    env.extra_env.push((
        "AWS_OKTA_FEDERATION_ENDPOINT".into(),
        format!("{}/federation", recorder.url),
    ));
    let out = env.run(&["roles"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(page.saml_posts(), 1);
    assert_eq!(
        recorder.count(),
        0,
        "the recorder received: {}",
        recorder.received()
    );
    // No names then: the account ids, and a line saying why.
    let text = stdout(&out);
    assert!(text.contains("444444444444  -"), "{text}");
    assert!(!text.contains("stolen"), "{text}");
    assert!(
        stderr(&out).contains("no account names"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn exec_env_and_login_take_a_role_of_the_assertion_without_a_profile() {
    let mut env = TestEnv::new(three_roles());
    let sts = narrow_sts::NarrowSts::start(&env.sts_url);
    env.sts_url = sts.url.clone();
    env.add();
    let _page = signin(&mut env, None);
    let fed = federation(&mut env);
    let probe = "echo \"$AWS_OKTA_ASSUMED_ROLE_ARN $AWS_OKTA_PROFILE\"";

    // A pattern on account-name/role-name.
    let out = env.run(&["exec", "--role", "sandbox/adm*", "--", "sh", "-c", probe]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("arn:aws:sts::444444444444:assumed-role/admin/"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).trim_end().ends_with(" sandbox/admin"),
        "{}",
        stdout(&out)
    );

    // Ambiguous, or nothing: one line with the candidates, exit 24, no STS call.
    let out = env.run(&["exec", "--role", "hub-*", "--", "true"]);
    assert_exit(&out, exit::ROLE_CHOICE, "matches 2 roles");
    assert!(
        stderr(&out).contains("identity hub/hub-team")
            && stderr(&out).contains("identity hub/hub-readonly"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert_exit(
        &env.run(&["env", "--role", "staging/*"]),
        exit::ROLE_CHOICE,
        "matches none of the roles Okta offers",
    );

    // An exact ARN, then an AssumeRole hop.
    let out = env.run(&[
        "exec",
        "--role",
        DEFAULT_HUB_ROLE,
        "--assume",
        SPOKE_ROLE,
        "--",
        "sh",
        "-c",
        probe,
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("arn:aws:sts::222222222222:assumed-role/spoke-admin/"),
        "{}",
        stdout(&out)
    );
    let out = env.run(&["env", "--role", "444444444444"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("assumed-role/admin/"),
        "{}",
        stdout(&out)
    );
    let out = env.run(&[
        "login",
        "--role",
        "sandbox/admin",
        "--stdout",
        "--service",
        "s3",
    ]);
    assert_eq!(destination(&out), "https://console.aws.amazon.com/s3/home");
    assert_eq!(fed.count(), 1);
    assert_exit(
        &env.run(&["exec", "--role", "arn:aws:iam::1:user/x", "--", "true"]),
        exit::ROLE_CHOICE,
        "matches none",
    );
    assert_exit(
        &env.run(&["exec", "hub", "--role", "x", "--", "true"]),
        2,
        "cannot be used with",
    );
    let c = env.okta.counters();
    assert_eq!((c.authn, c.pushes), (1, 1), "one login for all: {c:?}");
}

/// The Chromium the tests drive: Debian's `chromium-headless-shell` (or `chromium`), which
/// `scripts/install-test-deps` installs. Missing on a developer's machine: `None`, said loudly;
/// missing in CI: a failure.
fn chromium() -> Option<PathBuf> {
    let found = ["chromium-headless-shell", "chromium"]
        .iter()
        .find_map(|name| {
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "no chromium-headless-shell or chromium on PATH: scripts/install-test-deps installs it"
        );
        eprintln!(
            "\n*** SKIPPED: no chromium-headless-shell or chromium on PATH; run scripts/install-test-deps ***\n"
        );
    }
    found
}

/// A real browser follows the sign-in URL of `login --stdout` through the federation endpoint
/// to the console: it lands on the service and region asked for.
#[test]
fn headless_chromium_lands_on_the_console_service_and_region_of_login() {
    let Some(chromium) = chromium() else {
        return;
    };
    let mut env = TestEnv::new(Config::default());
    env.add();
    let aws = FakeAwsSignin::start(SigninConfig::default());
    env.extra_env.push((
        "AWS_OKTA_FEDERATION_ENDPOINT".into(),
        format!("{}/federation", aws.url()),
    ));
    // The console hosts, over TLS, are this fake too (the browser maps their names to it).
    let ca = fake_okta::tls::TestCa::new("aws-okta test console CA");
    let console = fake_okta::tls::TlsProxy::start(ca.server_config(), aws.addr());
    let console_port = console.url().rsplit(':').next().unwrap().to_string();

    for (args, landed) in [
        (
            vec!["--service", "s3", "--region", "eu-west-1"],
            "host=eu-west-1.console.aws.amazon.com service=s3 region=eu-west-1 path=/s3/home",
        ),
        (
            vec!["--service", "iam", "--region", "eu-west-1"],
            "host=console.aws.amazon.com service=iam region= path=/iam/home",
        ),
        (
            vec![],
            "host=us-west-2.console.aws.amazon.com service=console region=us-west-2 path=/console/home",
        ),
    ] {
        let mut login = vec!["login", "spoke", "--stdout"];
        login.extend(&args);
        let out = env.run(&login);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let url = stdout(&out).trim().to_string();
        let profile = tempfile::tempdir().unwrap();
        let browser = std::process::Command::new(&chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--ignore-certificate-errors",
                &format!("--host-resolver-rules=MAP *.amazon.com 127.0.0.1:{console_port}"),
                &format!("--user-data-dir={}", profile.path().display()),
                "--virtual-time-budget=5000",
                "--dump-dom",
                &url,
            ])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let dom = stdout(&browser);
        assert!(
            dom.contains(landed),
            "{args:?}: wanted {landed}, got {dom}\n{}",
            stderr(&browser)
        );
    }
    // Each time: aws-okta's getSigninToken, then the browser's login with that token.
    assert_eq!(aws.federation_requests(), 6);
    assert_eq!(env.okta.counters().pushes, 1);
}
