//! Corporate networks that inspect TLS: every site is re-signed by the company's own CA, which
//! is in the operating system's store (or handed out as a PEM file) but in no program's
//! built-in list. Here the fake Okta (and, through a TLS proxy, moto's STS and the federation
//! endpoint) serve a certificate from a private CA made at test time, and the tests check:
//! untrusted, the login fails at once (one connection, no retry) with a certificate error
//! that names the CA and says how to trust it; trusted through `SSL_CERT_FILE`,
//! `AWS_CA_BUNDLE` or the system store, the same login works.
// Linux-only parts (gnome-keyring, keyutils, Debian shells, mount namespaces, the AWS CLI and
// JavaScript SDK that scripts/install-test-deps installs): other platforms compile it out.
#![cfg(target_os = "linux")]

use crate::common::*;
use fake_okta::tls::{TestCa, TlsCounts, TlsProxy};
use fake_okta::{Config, FakeOkta};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const CA_NAME: &str = "Example Corp TLS Inspection CA";
/// How the refusal names the CA: RFC 4514 order, most specific first.
const ISSUER: &str = "CN=Example Corp TLS Inspection CA, O=aws-okta tests";

/// A test environment whose Okta is served over TLS by a certificate of `ca`, with the Okta
/// credentials stored (`add` itself makes no request).
fn tls_okta(ca: &TestCa) -> TestEnv {
    let mut env = TestEnv::new(Config::default());
    env.okta = FakeOkta::start_tls(Config::default(), ca.server_config());
    assert!(env.okta.url().starts_with("https://127.0.0.1:"));
    env.add();
    env
}

fn write_ca(env: &TestEnv, ca: &TestCa) -> PathBuf {
    let path = env.home().join("corp-ca.pem");
    std::fs::write(&path, ca.cert_pem()).unwrap();
    path
}

fn run_with(env: &TestEnv, vars: &[(&str, &Path)], args: &[&str]) -> Output {
    let mut cmd = env.cmd(args);
    for (name, value) in vars {
        cmd.env(name, value);
    }
    cmd.output().unwrap()
}

fn assert_certificate_error(out: &Output, service: &str) {
    assert_exit(
        out,
        18,
        &format!("TLS certificate not trusted for 127.0.0.1 ({service})"),
    );
    let err = stderr(out);
    for hint in [
        "SSL_CERT_FILE",
        "AWS_CA_BUNDLE",
        "system's certificate store",
    ] {
        assert!(
            err.contains(hint),
            "says how to trust the CA ({hint}): {err}"
        );
    }
    assert!(
        !err.contains("check your network or VPN"),
        "not reported as a network outage: {err}"
    );
}

#[test]
fn an_untrusted_corporate_ca_fails_at_once_with_a_certificate_error_naming_it() {
    let ca = TestCa::new(CA_NAME);
    let env = tls_okta(&ca);

    let started = Instant::now();
    let out = env.run(&["cred-process", "spoke"]);
    let elapsed = started.elapsed();
    assert_certificate_error(&out, "Okta");
    assert!(
        stderr(&out).contains(&format!("issued by \"{ISSUER}\"")),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        env.okta.tls_counts(),
        Some(TlsCounts {
            connections: 1,
            handshakes: 0
        }),
        "one connection, refused during the handshake, never retried"
    );
    assert_eq!(env.okta.counters().total, 0, "no request reached Okta");
    // The old behaviour retried four times with backoff (about 1.3 s); this is process start,
    // the keychain and one refused handshake.
    assert!(elapsed < Duration::from_secs(1), "failed fast: {elapsed:?}");

    // The Identity Engine client (its own retry loop) refuses the same way.
    env.write_config(
        &config_text().replace("[okta]\n", "[okta]\nokta_oidc_client_id = 0oafakeclient\n"),
    );
    let out = run_with(
        &env,
        &[],
        &["--auth-flow", "direct", "cred-process", "spoke"],
    );
    assert_certificate_error(&out, "Okta");
    assert_eq!(
        env.okta.tls_counts().unwrap().connections,
        2,
        "one more, no retry"
    );
}

#[test]
fn ssl_cert_file_or_aws_ca_bundle_with_the_ca_makes_the_login_work() {
    let ca = TestCa::new(CA_NAME);
    let env = tls_okta(&ca);
    let ca_file = write_ca(&env, &ca);

    for var in ["SSL_CERT_FILE", "AWS_CA_BUNDLE"] {
        let before = env.okta.tls_counts().unwrap().handshakes;
        let out = run_with(
            &env,
            &[(var, &ca_file)],
            &["cred-process", "--no-cache", "spoke"],
        );
        let creds = cred_process_json(&out);
        assert!(
            creds["AccessKeyId"].as_str().unwrap().starts_with("ASIA"),
            "{var}: {creds}"
        );
        assert!(
            env.okta.tls_counts().unwrap().handshakes > before,
            "{var}: the login went over TLS"
        );
    }
}

/// A bundle variable that names nothing usable is an error that names it, not a silent
/// "certificate not trusted" later.
#[test]
fn an_unreadable_or_empty_bundle_is_a_config_error_naming_the_variable() {
    let ca = TestCa::new(CA_NAME);
    let env = tls_okta(&ca);
    let missing = env.home().join("no-such.pem");
    let out = run_with(
        &env,
        &[("AWS_CA_BUNDLE", &missing)],
        &["cred-process", "spoke"],
    );
    assert_exit(&out, exit::CONFIG, "AWS_CA_BUNDLE=");
    assert!(stderr(&out).contains("cannot be read"), "{}", stderr(&out));

    let empty = env.home().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let out = run_with(
        &env,
        &[("SSL_CERT_FILE", &empty)],
        &["cred-process", "spoke"],
    );
    assert_exit(&out, exit::CONFIG, "SSL_CERT_FILE=");
    assert!(
        stderr(&out).contains("no usable CA certificate"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.okta.tls_counts().unwrap().connections, 0);
}

/// The system store, the way a company installs its CA: appended to the system bundle (a
/// private copy, named by `SSL_CERT_FILE` as OpenSSL would read it), or dropped into a
/// certificate directory (`SSL_CERT_DIR`: only the system-store loader reads that variable,
/// so this proves aws-okta consults the system store at all).
#[test]
fn a_ca_added_to_a_copy_of_the_system_store_is_trusted() {
    let ca = TestCa::new(CA_NAME);
    let env = tls_okta(&ca);

    let system = std::fs::read_to_string("/etc/ssl/certs/ca-certificates.crt").unwrap_or_default();
    let bundle = env.home().join("ca-certificates.crt");
    std::fs::write(&bundle, format!("{system}{}", ca.cert_pem())).unwrap();
    let out = run_with(
        &env,
        &[("SSL_CERT_FILE", &bundle)],
        &["cred-process", "--no-cache", "spoke"],
    );
    cred_process_json(&out);

    let dir = env.home().join("certs");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("corp-ca.pem"), ca.cert_pem()).unwrap();
    let out = run_with(
        &env,
        &[("SSL_CERT_DIR", &dir)],
        &["cred-process", "--no-cache", "spoke"],
    );
    cred_process_json(&out);
}

/// The real system store, untouched: in a private mount namespace a copy of `/etc/ssl/certs`
/// with the CA added (as `update-ca-certificates` would: its own file plus the bundle) is
/// mounted over `/etc/ssl/certs` for aws-okta alone, with no variable pointing anywhere.
/// Needs root (or user namespaces) for `unshare --mount`; where that is refused the test
/// says so and checks nothing.
#[test]
fn a_ca_in_the_system_certificate_directory_is_trusted() {
    let probe = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "true"])
        .output();
    if !probe.as_ref().is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: cannot make a private mount namespace here ({probe:?})");
        return;
    }
    let ca = TestCa::new(CA_NAME);
    let env = tls_okta(&ca);
    let certs = env.home().join("etc-ssl-certs");
    let copied = Command::new("cp")
        .arg("-a")
        .arg("/etc/ssl/certs/.")
        .arg(&certs)
        .status()
        .unwrap();
    assert!(copied.success());
    std::fs::write(certs.join("example-corp-inspection-ca.pem"), ca.cert_pem()).unwrap();
    let bundle = certs.join("ca-certificates.crt");
    let mut text = std::fs::read_to_string(&bundle).unwrap_or_default();
    text.push_str(ca.cert_pem());
    // Replace the copied bundle (a regular file in Debian) rather than write through a link.
    let _ = std::fs::remove_file(&bundle);
    std::fs::write(&bundle, text).unwrap();

    let in_namespace = |certs: Option<&Path>| -> Output {
        let template = env.cmd(&["cred-process", "--no-cache", "spoke"]);
        let mut cmd = Command::new("unshare");
        cmd.args(["--mount", "--propagation", "private", "--", "sh", "-c"])
            .arg(r#"if [ -n "$0" ]; then mount --bind "$0" /etc/ssl/certs || exit 125; fi; exec "$@""#)
            .arg(certs.map(|p| p.as_os_str()).unwrap_or_default())
            .arg(template.get_program())
            .args(template.get_args())
            .env_clear();
        for (k, v) in template.get_envs() {
            if let Some(v) = v {
                cmd.env(k, v);
            }
        }
        cmd.output().unwrap()
    };
    let out = in_namespace(Some(&certs));
    assert_ne!(code(&out), 125, "mount: {}", stderr(&out));
    cred_process_json(&out);
    // The same run against the machine's own store refuses: the CA came from the copy.
    assert_certificate_error(&in_namespace(None), "Okta");
}

/// A logged-in environment whose STS (moto) is behind TLS with a certificate of `ca`.
fn sts_behind_tls(ca: &TestCa) -> (TestEnv, TlsProxy) {
    let mut env = TestEnv::new(Config::default());
    env.add();
    let moto: std::net::SocketAddr = env.sts_url.trim_start_matches("http://").parse().unwrap();
    let proxy = TlsProxy::start(ca.server_config(), moto);
    env.sts_url = proxy.url();
    (env, proxy)
}

/// `cred-process spoke` with the CA in `AWS_CA_BUNDLE`: it must print STS credentials.
fn spoke_credentials_trusting(env: &TestEnv, ca_file: &Path) {
    let out = run_with(
        env,
        &[("AWS_CA_BUNDLE", ca_file)],
        &["cred-process", "spoke"],
    );
    let creds = cred_process_json(&out);
    assert!(creds["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
}

/// STS goes through the AWS SDK's client: the SDK trusts the system store, and aws-okta adds
/// `AWS_CA_BUNDLE` to it (the SDK itself does not read that variable).
#[test]
fn sts_behind_the_inspection_proxy_needs_the_ca_and_works_with_aws_ca_bundle() {
    let ca = TestCa::new(CA_NAME);
    let (env, proxy) = sts_behind_tls(&ca);
    let ca_file = write_ca(&env, &ca);

    let out = env.run(&["cred-process", "spoke"]);
    assert_certificate_error(&out, "AWS STS");
    assert_eq!(
        proxy.counts(),
        TlsCounts {
            connections: 1,
            handshakes: 0
        },
        "the SDK does not retry a refused certificate"
    );

    spoke_credentials_trusting(&env, &ca_file);
    assert!(
        proxy.counts().handshakes >= 2,
        "hub and spoke hop over TLS: {:?}",
        proxy.counts()
    );
}

/// `login` gets its sign-in token from the federation endpoint with aws-okta's own client.
#[test]
fn the_federation_endpoint_behind_the_proxy_needs_the_ca() {
    let ca = TestCa::new(CA_NAME);
    let mut env = TestEnv::new(Config::default());
    env.add();
    let federation = CannedServer::start(200, "application/json", r#"{"SigninToken":"tok"}"#);
    let upstream: std::net::SocketAddr = federation
        .url
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let proxy = TlsProxy::start(ca.server_config(), upstream);
    env.extra_env.push((
        "AWS_OKTA_FEDERATION_ENDPOINT".into(),
        format!("{}/federation", proxy.url()),
    ));
    let ca_file = write_ca(&env, &ca);

    let out = env.run(&["login", "spoke", "--stdout"]);
    assert_certificate_error(&out, "AWS federation endpoint");
    assert!(federation.requests.lock().unwrap().is_empty());

    let out = run_with(
        &env,
        &[("SSL_CERT_FILE", &ca_file)],
        &["login", "spoke", "--stdout"],
    );
    assert_exit(&out, 0, "");
    assert!(stdout(&out).contains("SigninToken=tok"), "{}", stdout(&out));
}

/// Where the only way out is the company's proxy, STS is reached through it as Okta is: the
/// AWS SDK's client does not read `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` by itself, aws-okta
/// hands them to it. The fake Okta stays direct (`NO_PROXY` names its address); STS is named
/// `localhost`, so a client that ignored the proxy would still reach moto, and only the
/// proxy's count tells the two apart.
#[test]
fn sts_goes_through_the_proxy_of_the_environment() {
    let mut env = TestEnv::new(Config::default());
    env.add();
    let proxy =
        crate::common::chaos::Chaos::start(&env.sts_url, |_, _| crate::common::chaos::Fault::Pass);
    let port = env
        .sts_url
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/');
    env.sts_url = format!("http://localhost:{port}");
    env.extra_env.extend([
        ("HTTP_PROXY".to_string(), proxy.url.clone()),
        ("HTTPS_PROXY".to_string(), proxy.url.clone()),
        ("NO_PROXY".to_string(), "127.0.0.1".to_string()),
    ]);

    let out = env.run(&["cred-process", "spoke"]);
    assert_exit(&out, 0, "");
    let seen = proxy.transcript();
    assert_eq!(
        proxy.requests(),
        2,
        "both STS calls through the proxy: {seen}"
    );
    assert!(
        seen.contains("AssumeRoleWithSAML") && seen.contains("Action=AssumeRole&"),
        "{seen}"
    );
    assert_eq!(
        env.okta.counters().authn,
        1,
        "Okta direct, not through the proxy"
    );
}

/// An HTTP proxy that answers `CONNECT` and tunnels every connection to `upstream`, whatever
/// host it names (the names it was asked for are recorded).
struct ConnectProxy {
    url: String,
    asked: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl ConnectProxy {
    fn start(upstream: std::net::SocketAddr) -> ConnectProxy {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = asked.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(client);
                    let mut line = String::new();
                    if reader.read_line(&mut line).is_err() {
                        return;
                    }
                    log.lock().unwrap().push(line.trim_end().to_string());
                    loop {
                        let mut header = String::new();
                        match reader.read_line(&mut header) {
                            Ok(0) | Err(_) => return,
                            Ok(_) if header == "\r\n" => break,
                            Ok(_) => {}
                        }
                    }
                    let mut client = reader.into_inner();
                    let Ok(server) = std::net::TcpStream::connect(upstream) else {
                        return;
                    };
                    if !line.starts_with("CONNECT ")
                        || client
                            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                            .is_err()
                    {
                        return;
                    }
                    let (mut c2, mut s2) =
                        (client.try_clone().unwrap(), server.try_clone().unwrap());
                    let up = std::thread::spawn(move || {
                        let _ = std::io::copy(&mut c2, &mut s2);
                        let _ = s2.shutdown(std::net::Shutdown::Write);
                    });
                    let (mut server, mut client) = (server, client);
                    let _ = std::io::copy(&mut server, &mut client);
                    let _ = client.shutdown(std::net::Shutdown::Write);
                    let _ = up.join();
                });
            }
        });
        ConnectProxy { url, asked }
    }

    fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }
}

/// The company's proxy is the only way out and inspects TLS: STS over https goes through it
/// with `CONNECT`, and inside the tunnel the certificate is checked against the company CA
/// (`AWS_CA_BUNDLE`). Okta stays direct (`NO_PROXY`).
#[test]
fn sts_over_https_tunnels_through_the_proxy_with_connect() {
    let ca = TestCa::new(CA_NAME);
    let (mut env, tls) = sts_behind_tls(&ca);
    let tls_addr: std::net::SocketAddr = tls.url().trim_start_matches("https://").parse().unwrap();
    let proxy = ConnectProxy::start(tls_addr);
    env.sts_url = format!("https://localhost:{}", tls_addr.port());
    env.extra_env.extend([
        ("HTTPS_PROXY".to_string(), proxy.url.clone()),
        ("NO_PROXY".to_string(), "127.0.0.1".to_string()),
    ]);
    let ca_file = write_ca(&env, &ca);

    spoke_credentials_trusting(&env, &ca_file);
    let asked = proxy.asked();
    let connect = format!("CONNECT localhost:{} HTTP/1.1", tls_addr.port());
    assert!(
        !asked.is_empty() && asked.iter().all(|l| *l == connect),
        "{asked:?}"
    );
    assert_eq!(
        tls.counts().handshakes,
        asked.len(),
        "every STS connection came through the tunnel: {:?}",
        tls.counts()
    );
    assert_eq!(env.okta.counters().authn, 1, "Okta direct");
}
