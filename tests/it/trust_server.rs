//! `exec --server` must never turn into a login loop: played against the built binary, the
//! fake Okta and moto. The command is a small Python program that asks the endpoint for
//! credentials in phases; between phases the test changes the world (clears the cache, expires
//! the Okta session, stores a wrong password), so each scenario forces exactly the login it
//! means to, at a moment it controls.

use crate::common::*;
use fake_okta::{Config, Counters, Factor, PushBehavior};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

/// The command run under `exec --server`. For each phase `[count, parallel]` of argv[2] it
/// creates `<sync>/at<N>`, waits for `<sync>/go<N>`, then makes `count` requests (all at once
/// from threads when `parallel`); at the end it prints every answer as JSON.
const CHILD: &str = r#"
import json, os, sys, threading, time, urllib.error, urllib.request
url = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
token = os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
sync, phases = sys.argv[1], json.loads(sys.argv[2])

def fetch():
    req = urllib.request.Request(url, headers={"Authorization": token})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return {"status": r.status, "body": json.loads(r.read())}
    except urllib.error.HTTPError as e:
        return {"status": e.code, "body": json.loads(e.read())}

def wait_for(name):
    deadline = time.time() + 120
    while not os.path.exists(os.path.join(sync, name)):
        if time.time() > deadline:
            sys.exit(90)
        time.sleep(0.02)

answers = []
for n, (count, parallel) in enumerate(phases):
    open(os.path.join(sync, "at%d" % n), "w").close()
    wait_for("go%d" % n)
    if parallel:
        got = [None] * count
        start = threading.Barrier(count)
        def one(k):
            start.wait()
            got[k] = fetch()
        threads = [threading.Thread(target=one, args=(k,)) for k in range(count)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    else:
        got = [fetch() for _ in range(count)]
    answers.append(got)
print(json.dumps(answers))
"#;

/// The Python of the test virtualenv (moto's): `python3` on PATH may be a pyenv shim that
/// does not work under the test's private HOME.
fn python() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let from_moto = std::env::var_os("MOTO_SERVER")
        .map(PathBuf::from)
        .and_then(|m| m.parent().map(|d| d.join("python")));
    [from_moto, Some(root.join(".venv/bin/python"))]
        .into_iter()
        .flatten()
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("python3"))
}

/// One answer of the endpoint.
#[derive(Debug)]
struct Answer {
    status: u16,
    body: serde_json::Value,
}

impl Answer {
    fn key(&self) -> &str {
        self.body["AccessKeyId"].as_str().unwrap_or("")
    }
    fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or("")
    }
}

/// A running `aws-okta ... exec --server PROFILE -- python CHILD` and its phase files.
struct ServerRun {
    child: Option<Child>,
    sync: tempfile::TempDir,
}

impl ServerRun {
    fn start(env: &TestEnv, args: &[&str], phases: &[(u32, bool)], stdin: &str) -> ServerRun {
        let sync = tempfile::tempdir().unwrap();
        let phases = serde_json::to_string(&phases).unwrap();
        let python = python();
        let mut argv: Vec<&str> = args.to_vec();
        argv.extend([
            "--",
            python.to_str().unwrap(),
            "-c",
            CHILD,
            sync.path().to_str().unwrap(),
            &phases,
        ]);
        let mut child = env
            .cmd(&argv)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(stdin.as_bytes()).unwrap();
        drop(pipe);
        ServerRun {
            child: Some(child),
            sync,
        }
    }

    /// Waits until the command is at phase `n` (so every earlier request was answered).
    fn reached(&mut self, n: usize) {
        let flag = self.sync.path().join(format!("at{n}"));
        let deadline = Instant::now() + Duration::from_secs(120);
        while !flag.exists() {
            let exited = self.child.as_mut().unwrap().try_wait().unwrap().is_some();
            if exited || Instant::now() > deadline {
                let out = self.output();
                panic!(
                    "phase {n} never reached (exit {:?})\nstdout: {}\nstderr: {}",
                    out.status.code(),
                    stdout(&out),
                    stderr(&out)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn go(&self, n: usize) {
        std::fs::write(self.sync.path().join(format!("go{n}")), "").unwrap();
    }

    fn output(&mut self) -> Output {
        let mut child = self.child.take().unwrap();
        let _ = child.kill();
        child.wait_with_output().unwrap()
    }

    /// Waits for the command to end; its output and the answers of each phase.
    fn finish(mut self) -> (Output, Vec<Vec<Answer>>) {
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + Duration::from_secs(120);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "the command ran to completion (exit {:?})\nstdout: {}\nstderr: {}",
            out.status.code(),
            stdout(&out),
            stderr(&out)
        );
        let printed: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\nstderr: {}", stdout(&out), stderr(&out)));
        let answers = printed
            .as_array()
            .unwrap()
            .iter()
            .map(|phase| {
                phase
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| Answer {
                        status: a["status"].as_u64().unwrap() as u16,
                        body: a["body"].clone(),
                    })
                    .collect()
            })
            .collect();
        (out, answers)
    }
}

impl Drop for ServerRun {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The Okta session and the cached AWS credentials are gone: the next request must log in.
fn force_a_login(env: &TestEnv) {
    env.okta.invalidate_sessions();
    env.clear_aws_cache();
}

fn delta(after: &Counters, before: &Counters) -> (u32, u32, u32) {
    (
        after.authn - before.authn,
        after.pushes - before.pushes,
        after.verify - before.verify,
    )
}

fn totp() -> Factor {
    Factor::Totp {
        id: "uft1totp".into(),
        provider: "GOOGLE".into(),
        code: "123456".into(),
    }
}

#[test]
fn a_wrong_password_is_posted_once_and_every_later_request_gets_the_message() {
    let env = TestEnv::new(Config::default());
    env.add();
    let mut run = ServerRun::start(&env, &["exec", "--server", "hub"], &[(5, false)], "");
    run.reached(0);
    env.add_password("wrong");
    force_a_login(&env);
    let before = env.okta.counters();
    run.go(0);
    let (out, answers) = run.finish();
    let after = env.okta.counters();
    assert_eq!(
        after.authn - before.authn,
        1,
        "one password POST for five requests: {after:?}"
    );
    assert_eq!(delta(&after, &before).1, 0, "no push either");
    for answer in &answers[0] {
        assert_eq!(answer.status, 500, "{answer:?}");
        assert!(
            answer
                .message()
                .contains("Okta rejected the username or password"),
            "{answer:?}"
        );
    }
    let err = stderr(&out);
    assert_eq!(
        err.matches("Okta rejected the username or password")
            .count(),
        1,
        "said once: {err}"
    );
    assert!(
        err.contains("aws-okta: credential server: Okta rejected the username or password"),
        "{err}"
    );
    assert_eq!(
        err.matches("fix the problem above, then restart the command")
            .count(),
        1,
        "{err}"
    );
}

#[test]
fn a_rejected_push_is_sent_once_and_latched() {
    // Push (rejected from now on) and a code factor, to fill the cache before the run.
    let env = TestEnv::new(Config {
        factors: vec![
            Factor::Push {
                id: "opf1push".into(),
                behavior: PushBehavior::Reject,
                number_challenge: None,
            },
            totp(),
        ],
        ..Config::default()
    });
    env.add();
    let out = env.run_with_stdin(
        &[
            "--mfa-factor-type",
            "token:software:totp",
            "exec",
            "hub",
            "--",
            "true",
        ],
        "123456\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let mut run = ServerRun::start(
        &env,
        &["--mfa-factor-type", "push", "exec", "--server", "hub"],
        &[(5, false)],
        "",
    );
    run.reached(0);
    force_a_login(&env);
    let before = env.okta.counters();
    run.go(0);
    let (out, answers) = run.finish();
    let after = env.okta.counters();
    let (authn, pushes, _) = delta(&after, &before);
    assert_eq!((authn, pushes), (1, 1), "one login, one push: {after:?}");
    for answer in &answers[0] {
        assert_eq!(answer.status, 500, "{answer:?}");
        assert!(answer.message().contains("MFA was rejected"), "{answer:?}");
    }
    let err = stderr(&out);
    assert_eq!(
        err.matches("MFA was rejected").count(),
        1,
        "said once: {err}"
    );
    assert!(
        err.contains("aws-okta: credential server: MFA was rejected"),
        "{err}"
    );
}

#[test]
fn concurrent_requests_share_one_login_and_then_memory_answers() {
    let env = TestEnv::new(Config::default());
    env.add();
    let mut run = ServerRun::start(
        &env,
        &["exec", "--server", "hub"],
        &[(8, true), (3, false)],
        "",
    );
    run.reached(0);
    force_a_login(&env);
    let before = env.okta.counters();
    run.go(0);
    run.reached(1);
    let after = env.okta.counters();
    let (authn, pushes, _) = delta(&after, &before);
    assert_eq!(
        (authn, pushes),
        (1, 1),
        "eight requests, one login: {after:?}"
    );
    // The cache is gone again, but the server holds fresh credentials in memory.
    env.clear_aws_cache();
    run.go(1);
    let (out, answers) = run.finish();
    assert_eq!(
        env.okta.counters(),
        after,
        "answered from memory: nothing reached Okta"
    );
    let key = answers[0][0].key().to_string();
    assert!(!key.is_empty(), "{answers:?}");
    for answer in answers.iter().flatten() {
        assert_eq!(answer.status, 200, "{answer:?} {}", stderr(&out));
        assert_eq!(answer.key(), key, "all the same credentials");
    }
}

#[test]
fn a_login_that_needs_a_code_does_not_prompt_and_the_command_runs_on() {
    let env = TestEnv::new(Config {
        factors: vec![totp()],
        ..Config::default()
    });
    env.add();
    let out = env.run_with_stdin(&["exec", "hub", "--", "true"], "123456\n");
    assert!(out.status.success(), "{}", stderr(&out));
    // A valid code waits on stdin: it is the command's, the server must not read it.
    let mut run = ServerRun::start(
        &env,
        &["exec", "--server", "hub"],
        &[(2, false), (1, false)],
        "123456\n",
    );
    run.reached(0);
    force_a_login(&env);
    let before = env.okta.counters();
    run.go(0);
    run.reached(1);
    let after = env.okta.counters();
    assert_eq!(
        delta(&after, &before),
        (1, 0, 0),
        "the password once, no code sent: {after:?}"
    );
    // The user does as told, in "another terminal".
    let other = env.run_with_stdin(&["exec", "hub", "--", "true"], "123456\n");
    assert!(other.status.success(), "{}", stderr(&other));
    let logged_in = env.okta.counters();
    run.go(1);
    let (out, answers) = run.finish();
    assert_eq!(
        env.okta.counters(),
        logged_in,
        "the server read the cache only"
    );
    for answer in &answers[0] {
        assert_eq!(answer.status, 500, "{answer:?}");
        assert!(
            answer.message().contains("a login needs your input")
                && answer
                    .message()
                    .contains("run `aws-okta exec hub -- true` in another terminal"),
            "{answer:?}"
        );
    }
    assert_eq!(answers[1][0].status, 200, "picked up: {:?}", answers[1][0]);
    let err = stderr(&out);
    assert_eq!(
        err.matches("a login needs your input").count(),
        1,
        "said once: {err}"
    );
    assert!(
        err.contains("aws-okta: credential server: a login needs your input (Enter the 6-digit code from your authenticator app), but the terminal belongs to"),
        "{err}"
    );
}
