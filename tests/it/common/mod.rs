//! Black-box test harness: runs the built `aws-okta` binary in a private HOME against the
//! in-process fake Okta and a real moto STS server (started once for the whole suite).

mod canned;
pub mod chaos;
pub mod narrow_sts;

pub use aws_okta::error::exit;
pub use canned::CannedServer;
use fake_okta::{Config, FakeOkta, DEFAULT_HUB_ROLE, DEFAULT_SAML_PATH};
use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const PASSWORD: &str = "correct horse battery staple";
pub const USERNAME: &str = "alice@example.com";
pub const SPOKE_ROLE: &str = "arn:aws:iam::222222222222:role/spoke-admin";
pub const SUB_ROLE: &str = "arn:aws:iam::333333333333:role/sub-ops";

pub fn config_text() -> String {
    format!(
        "# user comment\n[okta]\naws_saml_url = {DEFAULT_SAML_PATH}\n\n\
         [profile hub]\nrole_arn = {DEFAULT_HUB_ROLE}\nregion = us-east-1\n\n\
         [profile spoke]\nsource_profile = hub\nrole_arn = {SPOKE_ROLE}\nregion = us-west-2\n\n\
         [profile sub]\nsource_profile = spoke\nrole_arn = {SUB_ROLE}\n"
    )
}

/// The same hub → spoke → sub chain in the SDK-native form (`okta_*` keys and
/// `credential_process`), which AWS SDKs can use as it is.
pub fn sdk_native_config_text() -> String {
    format!(
        "# user comment\n[okta]\naws_saml_url = {DEFAULT_SAML_PATH}\n\n\
         [profile hub]\nokta_role_arn = {DEFAULT_HUB_ROLE}\nregion = us-east-1\n\
         credential_process = aws-okta cred-process hub\n\n\
         [profile spoke]\nokta_source_profile = hub\nokta_role_arn = {SPOKE_ROLE}\nregion = us-west-2\n\
         credential_process = aws-okta cred-process spoke\n\n\
         [profile sub]\nokta_source_profile = spoke\nokta_role_arn = {SUB_ROLE}\n\
         credential_process = aws-okta cred-process sub\n"
    )
}

/// A moto server shared by all tests of this binary; killed when the process exits.
struct Moto {
    url: String,
    _child: Child,
}

fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let server = std::env::var_os("MOTO_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join(".venv/bin/moto_server"));
        assert!(
            server.exists(),
            "moto_server not found at {}: run ./scripts/test (it installs the test dependencies)",
            server.display()
        );
        let port = free_port();
        // Statics are never dropped, so the server is tied to our stdin pipe instead: when
        // this test process exits the pipe closes, `read` returns and the shell kills moto.
        let child = Command::new("sh")
            .arg("-c")
            .arg(r#""$0" -H 127.0.0.1 -p "$1" >/dev/null 2>&1 & moto=$!; read _; kill $moto"#)
            .arg(&server)
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto {
            url: format!("http://127.0.0.1:{port}"),
            _child: child,
        }
    })
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct TestEnv {
    pub dir: tempfile::TempDir,
    pub okta: FakeOkta,
    pub sts_url: String,
    pub backend: String,
    pub extra_env: Vec<(String, String)>,
    /// Held while a test uses the suite's one gnome-keyring ([`TestEnv::use_backend`]).
    shared_keyring: Option<std::sync::MutexGuard<'static, ()>>,
}

/// The suite's tests share one gnome-keyring, and every test's items have the same names
/// (`okta-creds`, `okta-session-default`, ...): tests on the Secret Service take turns.
static SHARED_KEYRING: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl TestEnv {
    pub fn new(config: Config) -> TestEnv {
        let env = TestEnv {
            dir: tempfile::tempdir().unwrap(),
            okta: FakeOkta::start(config),
            sts_url: moto().url.clone(),
            backend: "file".into(),
            extra_env: Vec::new(),
            shared_keyring: None,
        };
        env.write_config(&config_text());
        env
    }

    /// Runs the commands with `backend`; with the Secret Service, waits for the other tests
    /// that use the shared keyring to end first.
    pub fn use_backend(&mut self, backend: &str) {
        if backend == "secret-service" && self.shared_keyring.is_none() {
            self.shared_keyring = Some(
                SHARED_KEYRING
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
        }
        self.backend = backend.into();
    }

    pub fn home(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_path(&self) -> PathBuf {
        self.home().join(".aws").join("config")
    }

    pub fn write_config(&self, text: &str) {
        std::fs::create_dir_all(self.config_path().parent().unwrap()).unwrap();
        std::fs::write(self.config_path(), text).unwrap();
    }

    /// The binary with a clean, private environment.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_aws-okta"));
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("AWS_CONFIG_FILE", self.config_path())
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.home().join(".aws/credentials"),
            )
            .env("AWS_OKTA_HOME", self.home().join(".aws-okta"))
            .env("AWS_OKTA_BACKEND", &self.backend)
            .env("AWS_OKTA_FILE_PASSPHRASE", "test file passphrase")
            .env("AWS_OKTA_POLL_INTERVAL", "20ms")
            .env("AWS_ENDPOINT_URL_STS", &self.sts_url)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::null());
        for var in ["DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"] {
            if let Some(v) = std::env::var_os(var) {
                cmd.env(var, v);
            }
        }
        for (k, v) in &self.extra_env {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .cmd(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The binary may exit before reading its input (e.g. a usage error): not a failure.
        if let Err(e) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
        child.wait_with_output().unwrap()
    }

    /// `aws-okta add` with the fake's URL and the password on stdin.
    pub fn add(&self) {
        self.add_password(PASSWORD);
    }

    /// `aws-okta add --account ACCOUNT` with the fake's URL; the output, to check.
    pub fn add_account(&self, account: &str) -> Output {
        self.run_with_stdin(
            &[
                "add",
                "--account",
                account,
                "--domain",
                &self.okta.url(),
                "--username",
                USERNAME,
            ],
            &format!("{PASSWORD}\n"),
        )
    }

    pub fn add_password(&self, password: &str) {
        let out = self.run_with_stdin(
            &["add", "--domain", &self.okta.url(), "--username", USERNAME],
            &format!("{password}\n"),
        );
        assert!(out.status.success(), "add failed: {}", stderr(&out));
    }

    /// The file backend's directories: the passphrase-sealed keyring and the credential
    /// cache sealed by the kernel session key.
    pub fn file_backend_dirs(&self) -> [PathBuf; 2] {
        let state = self.home().join(".aws-okta");
        [state.join("keyring"), state.join("cache")]
    }

    /// The files of cached AWS credentials of the file backend (wherever they are sealed).
    pub fn credential_cache_files(&self) -> Vec<PathBuf> {
        self.file_backend_dirs()
            .iter()
            .filter_map(|dir| std::fs::read_dir(dir).ok())
            .flat_map(|entries| entries.flatten())
            .filter(|e| e.file_name().to_string_lossy().starts_with("aws-creds-"))
            .map(|e| e.path())
            .collect()
    }

    /// Deletes cached AWS credentials (not the Okta session) of the file keychain.
    pub fn clear_aws_cache(&self) {
        for path in self.credential_cache_files() {
            std::fs::remove_file(path).unwrap();
        }
    }
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

/// The run ended with `exit` and said `needle` on stderr (0 for a success that says something).
pub fn assert_exit(out: &Output, exit: i32, needle: &str) {
    let err = stderr(out);
    assert_eq!(code(out), exit, "{err}");
    assert!(err.contains(needle), "wanted {needle:?}: {err}");
}

pub fn cred_process_json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "cred-process failed ({}): {}",
        code(out),
        stderr(out)
    );
    serde_json::from_slice(&out.stdout).expect("cred-process JSON")
}

/// Answers every request with one AWS query-protocol error (AWS's documented XML error
/// body), for the STS error paths moto cannot produce.
pub fn sts_error_server(status: u16, code: &str, message: &str) -> CannedServer {
    let body = format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
         <Code>{code}</Code><Message>{message}</Message></Error><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>"
    );
    CannedServer::start(status, "text/xml", &body)
}
