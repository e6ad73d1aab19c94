//! TLS for the tests of corporate TLS inspection: a private CA made at run time (like a
//! company's inspection CA, it is in no trust store until a test puts it in one), server
//! certificates it signs for `127.0.0.1`/`localhost`, the TLS listener of
//! [`FakeOkta::start_tls`](crate::FakeOkta::start_tls), and [`TlsProxy`], which puts TLS in
//! front of another plain server (moto's STS).
//!
//! Both count TCP connections and completed handshakes, so a test can tell "refused at once"
//! from "retried four times".
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// A certificate authority that exists only for one test run.
pub struct TestCa {
    cert: CertificateDer<'static>,
    cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl TestCa {
    /// A new CA with subject `CN=<common_name>, O=aws-okta tests`.
    ///
    /// Panics if rcgen cannot make it (test-only code).
    pub fn new(common_name: &str) -> TestCa {
        let mut params = CertificateParams::default();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        // Most general first, as real CAs write their names (the default name has a CN).
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::OrganizationName, "aws-okta tests");
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().expect("fake-okta: CA key");
        let cert = params.self_signed(&key).expect("fake-okta: CA certificate");
        TestCa {
            cert_pem: cert.pem(),
            cert: cert.der().clone(),
            issuer: Issuer::new(params, key),
        }
    }

    /// The CA certificate, PEM: what a test writes where the client should find it.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.cert
    }

    /// A server configuration with a fresh certificate for `127.0.0.1` (IP SAN: the clients
    /// connect to the address) and `localhost`, signed by this CA.
    pub fn server_config(&self) -> Arc<rustls::ServerConfig> {
        let params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".into()])
            .expect("fake-okta: server certificate names");
        let mut params = params;
        params
            .distinguished_name
            .push(DnType::CommonName, "fake-okta test server");
        let key = KeyPair::generate().expect("fake-okta: server key");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("fake-okta: server certificate");
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("fake-okta: TLS versions")
            .with_no_client_auth()
            // The chain a real server sends: its certificate, then the CA's.
            .with_single_cert(vec![cert.der().clone(), self.cert.clone()], key)
            .expect("fake-okta: server certificate and key");
        Arc::new(config)
    }
}

/// What a TLS server has seen.
#[derive(Debug, Default)]
pub struct TlsStats {
    connections: AtomicUsize,
    handshakes: AtomicUsize,
}

/// A snapshot of [`TlsStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsCounts {
    /// TCP connections accepted.
    pub connections: usize,
    /// TLS handshakes completed (a client that refuses the certificate completes none).
    pub handshakes: usize,
}

impl TlsStats {
    pub fn counts(&self) -> TlsCounts {
        TlsCounts {
            connections: self.connections.load(Ordering::SeqCst),
            handshakes: self.handshakes.load(Ordering::SeqCst),
        }
    }
}

/// Accepts TCP connections and completes their TLS handshakes concurrently (a client that
/// never finishes one holds up no other); must be called inside a tokio runtime.
fn accept_tls(
    tcp: TcpListener,
    config: Arc<rustls::ServerConfig>,
    stats: Arc<TlsStats>,
) -> mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)> {
    let (tx, rx) = mpsc::channel(16);
    let acceptor = TlsAcceptor::from(config);
    tokio::spawn(async move {
        loop {
            let (stream, addr) = match tcp.accept().await {
                Ok(accepted) => accepted,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            stats.connections.fetch_add(1, Ordering::SeqCst);
            // As real servers do: without it a response written as two TLS records waits for
            // the client's delayed ACK of the first (40 ms on Linux) before the second leaves.
            let _ = stream.set_nodelay(true);
            let (acceptor, stats, tx) = (acceptor.clone(), stats.clone(), tx.clone());
            tokio::spawn(async move {
                let handshake =
                    tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream));
                if let Ok(Ok(tls)) = handshake.await {
                    stats.handshakes.fetch_add(1, Ordering::SeqCst);
                    let _ = tx.send((tls, addr)).await;
                }
            });
        }
    });
    rx
}

/// [`axum::serve`]'s view of a TLS listener.
pub(crate) struct TlsListener {
    incoming: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    addr: SocketAddr,
}

impl TlsListener {
    pub(crate) fn new(
        tcp: TcpListener,
        config: Arc<rustls::ServerConfig>,
        stats: Arc<TlsStats>,
    ) -> std::io::Result<TlsListener> {
        let addr = tcp.local_addr()?;
        Ok(TlsListener {
            incoming: accept_tls(tcp, config, stats),
            addr,
        })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.incoming.recv().await {
            Some(connection) => connection,
            // The accept loop only ends with the runtime.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.addr)
    }
}

/// TLS in front of a plain TCP server on loopback: `https://127.0.0.1:PORT` forwards the
/// decrypted bytes to `upstream`. Dropping it stops it.
pub struct TlsProxy {
    addr: SocketAddr,
    stats: Arc<TlsStats>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TlsProxy {
    /// Panics if it cannot bind `127.0.0.1:0` (test-only code).
    pub fn start(config: Arc<rustls::ServerConfig>, upstream: SocketAddr) -> TlsProxy {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("fake-okta: cannot bind the TLS proxy");
        std_listener
            .set_nonblocking(true)
            .expect("fake-okta: non-blocking proxy listener");
        let addr = std_listener.local_addr().expect("fake-okta: proxy address");
        let stats = Arc::new(TlsStats::default());
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let thread_stats = stats.clone();
        let thread = std::thread::Builder::new()
            .name(format!("tls-proxy-{}", addr.port()))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("fake-okta: proxy runtime");
                runtime.block_on(async move {
                    let tcp =
                        TcpListener::from_std(std_listener).expect("fake-okta: proxy listener");
                    let mut incoming = accept_tls(tcp, config, thread_stats);
                    let forward = async move {
                        while let Some((mut tls, _)) = incoming.recv().await {
                            tokio::spawn(async move {
                                if let Ok(mut plain) = TcpStream::connect(upstream).await {
                                    let _ =
                                        tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                                }
                            });
                        }
                    };
                    tokio::select! {
                        _ = forward => {}
                        _ = shutdown_rx => {}
                    }
                });
                runtime.shutdown_timeout(Duration::from_millis(200));
            })
            .expect("fake-okta: proxy thread");
        TlsProxy {
            addr,
            stats,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        }
    }

    /// `https://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    pub fn counts(&self) -> TlsCounts {
        self.stats.counts()
    }
}

impl Drop for TlsProxy {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
