//! `fake-okta [--port N] [--config FILE.json] [--tls-cert CHAIN.pem --tls-key KEY.pem]`: serves
//! the fake Okta org on 127.0.0.1 until killed, after printing exactly one line
//! `listening on http://127.0.0.1:PORT` (`https://` with a certificate: bench/run serves Okta
//! over TLS as in real use, with a certificate of its own CA for every name it routes here).

use std::io::Write;
use std::process::ExitCode;

use fake_okta::{serve, serve_duo, serve_tls, Config, ServerState};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;

fn usage() -> &'static str {
    "usage: fake-okta [--port N] [--config FILE.json] [--tls-cert CHAIN.pem --tls-key KEY.pem]"
}

struct Args {
    port: u16,
    config: Config,
    tls: Option<Arc<rustls::ServerConfig>>,
}

/// A TLS server configuration from a PEM certificate chain and its PEM private key.
fn tls_config(cert: &str, key: &str) -> Result<Arc<rustls::ServerConfig>, String> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("--tls-cert {cert}: {e}"))?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("--tls-key {key}: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS versions: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("--tls-cert/--tls-key: {e}"))?;
    Ok(Arc::new(config))
}

fn parse_args() -> Result<Args, String> {
    let mut port: u16 = 0;
    let mut config = Config::default();
    let (mut cert, mut key) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{what} needs a value\n{}", usage()))
        };
        match name.as_str() {
            "--port" | "-p" => {
                let v = value("--port")?;
                port = v
                    .parse()
                    .map_err(|_| format!("--port: not a port number: {v}"))?;
            }
            "--config" | "-c" => {
                let path = value("--config")?;
                let text =
                    std::fs::read_to_string(&path).map_err(|e| format!("--config {path}: {e}"))?;
                config = serde_json::from_str(&text)
                    .map_err(|e| format!("--config {path}: invalid config JSON: {e}"))?;
            }
            "--tls-cert" => cert = Some(value("--tls-cert")?),
            "--tls-key" => key = Some(value("--tls-key")?),
            "--help" | "-h" => {
                println!("{}", usage());
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument: {other}\n{}", usage())),
        }
    }
    let tls = match (cert, key) {
        (None, None) => None,
        (Some(cert), Some(key)) => Some(tls_config(&cert, &key)?),
        _ => return Err(format!("--tls-cert and --tls-key go together\n{}", usage())),
    };
    Ok(Args { port, config, tls })
}

fn main() -> ExitCode {
    let Args { port, config, tls } = match parse_args() {
        Ok(v) => v,
        Err(e) => {
            eprintln!("fake-okta: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fake-okta: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| format!("cannot bind 127.0.0.1:{port}: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("listener has no address: {e}"))?;
        {
            let mut stdout = std::io::stdout().lock();
            let scheme = if tls.is_some() { "https" } else { "http" };
            writeln!(stdout, "listening on {scheme}://{addr}")
                .and_then(|_| stdout.flush())
                .map_err(|e| format!("cannot write to stdout: {e}"))?;
        }
        let state = ServerState::new(config);
        // A Duo Universal factor needs the fake Duo host: another port, another origin.
        if state.wants_duo() {
            let duo = tokio::net::TcpListener::bind(("127.0.0.1", 0))
                .await
                .map_err(|e| format!("cannot bind the Duo listener: {e}"))?;
            let duo_state = state.clone();
            tokio::spawn(async move {
                if let Err(e) = serve_duo(duo, duo_state).await {
                    eprintln!("fake-okta: Duo server error: {e}");
                }
            });
        }
        match tls {
            Some(tls) => serve_tls(listener, state, tls, Default::default()).await,
            None => serve(listener, state).await,
        }
        .map_err(|e| format!("server error: {e}"))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fake-okta: {e}");
            ExitCode::FAILURE
        }
    }
}
