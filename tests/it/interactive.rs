//! Interactive paths in a real pseudo-terminal: the factor list (dialoguer), code prompts,
//! re-asking after a wrong code, and `resend`, typed the way a person would.

use crate::common::*;
use expectrl::{Eof, Session, WaitStatus};
use fake_okta::{Config, Factor, PushBehavior};
use std::process::Stdio;
use std::time::Duration;

fn spawn(env: &TestEnv, args: &[&str]) -> Session {
    let mut cmd = env.cmd(args);
    // The pty becomes stdin/stdout/stderr; do not override it with the harness's pipes.
    cmd.stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit());
    let mut session = Session::spawn(cmd).expect("spawn in a pty");
    session.set_expect_timeout(Some(Duration::from_secs(30)));
    session
}

fn finish(mut session: Session) -> String {
    let rest = session.expect(Eof).expect("output until exit");
    let text = String::from_utf8_lossy(rest.as_bytes()).into_owned();
    let status = session.get_process().wait().expect("wait");
    assert!(
        matches!(status, WaitStatus::Exited(_, 0)),
        "{status:?}: {text}"
    );
    text
}

#[test]
fn factor_list_then_a_wrong_code_then_the_right_one() {
    let env = TestEnv::new(Config {
        factors: vec![
            Factor::Push {
                id: "opf1push".into(),
                behavior: PushBehavior::ApproveAfter(1),
                number_challenge: None,
            },
            Factor::Totp {
                id: "uft1totp".into(),
                provider: "GOOGLE".into(),
                code: "123456".into(),
            },
            Factor::Sms {
                id: "sms1".into(),
                phone: "+1 415 555 2345".into(),
                code: "246810".into(),
            },
        ],
        ..Config::default()
    });
    env.add();
    let mut p = spawn(&env, &["cred-process", "hub"]);
    p.expect("Choose an MFA factor").unwrap();
    p.expect("SMS Authentication +1 XXX-XXX-2345").unwrap();
    // Arrow down once to "Google Authenticator", then Enter.
    p.send("\x1b[B").unwrap();
    p.send("\r").unwrap();
    p.expect("Enter the 6-digit code").unwrap();
    p.send("000000\r").unwrap();
    p.expect("try again (2 left)").unwrap();
    p.expect("Enter the 6-digit code").unwrap();
    p.send("123456\r").unwrap();
    p.expect("AccessKeyId").unwrap();
    finish(p);
    let c = env.okta.counters();
    assert_eq!((c.pushes, c.codes_sent, c.bad_codes), (0, 0, 1), "{c:?}");
}

#[test]
fn sms_code_can_be_sent_again_from_the_prompt() {
    let env = TestEnv::new(Config {
        factors: vec![Factor::Sms {
            id: "sms1".into(),
            phone: "+1 415 555 2345".into(),
            code: "246810".into(),
        }],
        ..Config::default()
    });
    env.add();
    let mut p = spawn(&env, &["cred-process", "hub"]);
    p.expect("Enter the code sent by SMS to +1 XXX-XXX-2345 (or type 'resend')")
        .unwrap();
    p.send("resend\r").unwrap();
    p.expect("Sent again").unwrap();
    p.expect("Enter the code sent by SMS").unwrap();
    p.send("246810\r").unwrap();
    p.expect("AccessKeyId").unwrap();
    finish(p);
    let c = env.okta.counters();
    assert_eq!((c.codes_sent, c.bad_codes), (2, 0), "{c:?}");
}

#[test]
fn security_question_is_asked_with_its_text() {
    let env = TestEnv::new(Config {
        factors: vec![Factor::Question {
            id: "ufs1question".into(),
            question: "favorite_art_piece".into(),
            question_text: "What is your favorite piece of art?".into(),
            answer: "Mona Lisa".into(),
        }],
        ..Config::default()
    });
    env.add();
    let mut p = spawn(&env, &["cred-process", "hub"]);
    p.expect("What is your favorite piece of art?").unwrap();
    p.send("Mona Lisa\r").unwrap();
    p.expect("AccessKeyId").unwrap();
    let rest = finish(p);
    assert!(
        !rest.contains("Mona Lisa"),
        "the answer is not echoed: {rest}"
    );
}

#[test]
fn add_asks_for_everything_and_keeps_a_password_typed_right_after_the_prompt() {
    let env = TestEnv::new(Config::default());
    let mut p = spawn(&env, &["add"]);
    p.expect("Okta domain").unwrap();
    p.send(format!("{}\r", env.okta.url())).unwrap();
    p.expect("Okta username").unwrap();
    p.send(format!("{USERNAME}\r")).unwrap();
    // Sent the moment the prompt shows, with no pause: echo is already off by then, so
    // nothing is flushed away.
    p.expect("Okta password: ").unwrap();
    p.send(format!("{PASSWORD}\r")).unwrap();
    p.expect("Stored Okta credentials").unwrap();
    let rest = finish(p);
    assert!(
        !rest.contains(PASSWORD),
        "the password is not echoed: {rest}"
    );

    // The fake rejects any other password, so success means exactly what was typed was stored.
    let out = env.run(&["cred-process", "hub"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("AccessKeyId"));
}

/// A new file keychain asks for its passphrase twice and stores nothing when the two differ
/// or the passphrase is empty (a typo would otherwise lock the user out of what they stored).
#[test]
fn a_new_file_keychain_asks_twice_and_refuses_a_mismatch_or_an_empty_passphrase() {
    let env = TestEnv::new(Config::default());
    let add = |first: &str, second: Option<&str>| {
        let mut cmd = env.cmd(&["add", "--domain", &env.okta.url(), "--username", USERNAME]);
        cmd.env_remove("AWS_OKTA_FILE_PASSPHRASE")
            .stdin(Stdio::inherit())
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit());
        let mut p = Session::spawn(cmd).expect("spawn in a pty");
        p.set_expect_timeout(Some(Duration::from_secs(30)));
        p.expect("Okta password: ").unwrap();
        p.send(format!("{PASSWORD}\r")).unwrap();
        p.expect("New passphrase for the aws-okta file keychain")
            .unwrap();
        p.send(format!("{first}\r")).unwrap();
        if let Some(second) = second {
            p.expect("Repeat the new passphrase").unwrap();
            p.send(format!("{second}\r")).unwrap();
        }
        let rest = p.expect(Eof).expect("output until exit");
        let text = String::from_utf8_lossy(rest.as_bytes()).into_owned();
        let status = p.get_process().wait().expect("wait");
        (status, text)
    };
    let (status, text) = add("one passphrase", Some("another"));
    assert!(
        matches!(status, WaitStatus::Exited(_, 4)),
        "{status:?}: {text}"
    );
    assert!(text.contains("differ"), "{text}");
    let (status, text) = add("", None);
    assert!(
        matches!(status, WaitStatus::Exited(_, 4)),
        "{status:?}: {text}"
    );
    assert!(text.contains("empty"), "{text}");

    let (status, text) = add("same passphrase", Some("same passphrase"));
    assert!(
        matches!(status, WaitStatus::Exited(_, 0)),
        "{status:?}: {text}"
    );
    let out = env
        .cmd(&["cred-process", "hub"])
        .env("AWS_OKTA_FILE_PASSPHRASE", "same passphrase")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

/// `env` (like `exec` and `login`) without a profile on a terminal: a list of the profiles
/// aws-okta serves, filtered by typing, most recently used first; without a terminal, the
/// usage error it always was.
#[test]
fn a_missing_profile_is_picked_from_a_list_most_recent_first() {
    let env = TestEnv::new(Config::default());
    env.add();
    let mut config = config_text();
    config.push_str("\n[profile sso-only]\nsso_session = corp\n");
    env.write_config(&config);

    let mut p = spawn(&env, &["env"]);
    p.expect("Profile (type to filter)").unwrap();
    p.send("sub").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    p.send("\r").unwrap();
    p.expect("AWS_OKTA_PROFILE=sub").unwrap();
    finish(p);

    // Enter at once takes the most recently used profile.
    let mut p = spawn(&env, &["env"]);
    p.expect("Profile (type to filter)").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    p.send("\r").unwrap();
    let shown = p.expect("AWS_OKTA_PROFILE=sub").unwrap();
    let screen = String::from_utf8_lossy(shown.before()).into_owned();
    assert!(
        screen.contains("spoke") && screen.contains("hub"),
        "{screen}"
    );
    assert!(
        !screen.contains("sso-only"),
        "other tools' profiles are not offered: {screen}"
    );
    let sub = screen.find("sub").unwrap();
    assert!(
        sub < screen.find("spoke").unwrap(),
        "most recent first: {screen}"
    );
    finish(p);

    let out = env.run(&["env"]);
    assert_exit(&out, exit::USAGE, "<PROFILE>");
}
