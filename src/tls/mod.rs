//! Which certificates aws-okta trusts, and what it says when a certificate is not trusted.
//!
//! Many companies inspect TLS with a proxy that re-signs every site with the company's own CA.
//! That CA is installed in the operating system's store (or handed out as a PEM file), never
//! in a program's built-in list, so a client that trusts only built-in roots fails there with
//! an error that looks like a network outage. aws-okta's own clients (Okta, Duo, the console
//! federation endpoint) therefore trust:
//!
//! - the built-in Mozilla roots (`webpki-roots`: what they always trusted, so a machine with no
//!   usable system store still reaches a public Okta);
//! - the operating system's store (`rustls-native-certs`: the OpenSSL locations on Linux, the
//!   keychain on macOS, the certificate store on Windows). As in OpenSSL, `SSL_CERT_FILE` and
//!   `SSL_CERT_DIR` name that store, so when set they are read in its place;
//! - every certificate in the PEM file named by `AWS_CA_BUNDLE`, added to the above (unlike
//!   the AWS CLI, `AWS_CA_BUNDLE` does not replace anything: a bundle holding only the company
//!   CA must not cut aws-okta off from the public Okta). `SSL_CERT_FILE` is checked the same
//!   way (a file that cannot be read or holds no certificate is an error naming it), but its
//!   certificates are not added a second time: they already are the system store above.
//!
//! A chain is checked against the built-in roots first and only then against all of them
//! (`BuiltinFirst`): the same verdict as one verifier with every root, but a public Okta is
//! verified without waiting for the system store, which is read on a second thread meanwhile.
//!
//! AWS STS goes through the SDK's own client, see [`sts_tls_context`].
//!
//! A certificate that fails verification is reported as such ([`certificate_problem`]) and
//! never retried: it fails the same way every time, and each retry only adds backoff.
use crate::{Error, Result};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, RootCertStore, SignatureScheme};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

#[cfg(all(unix, not(target_os = "macos")))]
mod system_store;

/// The variables naming PEM files of CA certificates, checked in this order: the first is
/// added to the trusted roots ([`ADDED_BUNDLE_VAR`]); the second is the system store itself
/// when set (rustls-native-certs reads it), checked so that a typo is named.
pub const BUNDLE_VARS: [&str; 2] = [ADDED_BUNDLE_VAR, "SSL_CERT_FILE"];
/// The bundle whose certificates are added to the system store's (the company CA).
const ADDED_BUNDLE_VAR: &str = "AWS_CA_BUNDLE";

/// The TLS configuration of aws-okta's own HTTPS clients, built once per process (only a login
/// that goes to the network pays for it; the system store is read when a chain needs it, see
/// `BuiltinFirst`, or beforehand on [`build_in_background`]'s thread).
pub fn client_config() -> Result<rustls::ClientConfig> {
    if WARMING.load(Ordering::Acquire) {
        // The thread's result: the configuration, or `None` when it failed (built again
        // below, to be reported).
        if let Some(config) = CONFIG.wait() {
            return Ok(config.clone());
        }
    } else if let Some(Some(config)) = CONFIG.get() {
        return Ok(config.clone());
    }
    let config = build_client_config()?;
    let _ = CONFIG.set(Some(config.clone()));
    Ok(config)
}

/// Set once, by [`build_in_background`]'s thread or by the first [`client_config`].
static CONFIG: OnceLock<Option<rustls::ClientConfig>> = OnceLock::new();
/// Whether a thread is building [`CONFIG`] (it always sets it, `None` on failure).
static WARMING: AtomicBool = AtomicBool::new(false);

/// Starts building [`client_config`] on another thread, for a login that is about to read
/// the Okta password: reading the system store (a few milliseconds of file reads and parsing)
/// then overlaps the keychain read (a D-Bus round trip series, or the `file` backend's
/// Argon2id derivation) instead of following it. Nothing is sent anywhere; the first
/// [`client_config`] waits for the configuration (not for the rest of the thread's work).
pub fn build_in_background() {
    if CONFIG.get().is_some() || WARMING.swap(true, Ordering::AcqRel) {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("tls-roots".into())
        .spawn(|| {
            // Set even if building panics, so that no `client_config` waits forever.
            struct Settle;
            impl Drop for Settle {
                fn drop(&mut self) {
                    let _ = CONFIG.set(None);
                }
            }
            let settle = Settle;
            let _ = CONFIG.set(build_client_config().ok());
            drop(settle);
            // Then every root (a TLS-inspecting proxy's chain needs the system store) and the
            // STS client's trust: the login's requests that need them find them built.
            let _ = full_verifier();
            let _ = sts_tls_context();
        });
    if spawned.is_err() {
        // Without a thread the first client builds it, as before.
        WARMING.store(false, Ordering::Release);
    }
}

fn build_client_config() -> Result<rustls::ClientConfig> {
    // A bad AWS_CA_BUNDLE fails here, before any request.
    check_bundles()?;
    let provider = crypto_provider();
    let builtin = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let builtin = WebPkiServerVerifier::builder_with_provider(Arc::new(builtin), provider.clone())
        .build()
        .map_err(|e| Error::network(format!("cannot set up certificate checks: {e}")))?;
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::network(format!("cannot set up TLS: {e}")))?
        // "dangerous" only in name: every decision is the standard WebPKI verifier's, ours only
        // chooses which roots it is given first and adds the issuer's name to a refusal.
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(NamingVerifier {
            inner: BuiltinFirst { builtin },
        }))
        .with_no_client_auth();
    Ok(config)
}

/// ring, the provider reqwest's rustls is built with (the process has two: the AWS SDK brings
/// aws-lc-rs, so none can be picked implicitly).
fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The verifier with every root: built-in, the system store and `AWS_CA_BUNDLE`'s; built
/// once, on the background thread when there is one.
fn full_verifier() -> Result<Arc<WebPkiServerVerifier>> {
    static FULL: OnceLock<Arc<WebPkiServerVerifier>> = OnceLock::new();
    if let Some(verifier) = FULL.get() {
        return Ok(verifier.clone());
    }
    let started = std::time::Instant::now();
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let system = system_roots();
    roots.roots.extend(system.anchors.roots.iter().cloned());
    let mut extra = 0;
    for bundle in extra_bundles()? {
        // Parsed once, when the bundle was checked.
        roots.roots.extend(bundle.anchors.roots.iter().cloned());
        extra += bundle.anchors.len();
    }
    tracing::debug!(
        builtin = webpki_roots::TLS_SERVER_ROOTS.len(),
        system = system.anchors.len(),
        extra,
        ms = started.elapsed().as_millis() as u64,
        "trusted roots"
    );
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), crypto_provider())
        .build()
        .map_err(|e| Error::network(format!("cannot set up certificate checks: {e}")))?;
    Ok(FULL.get_or_init(|| verifier).clone())
}

/// Verifies against the built-in roots first and, only when they do not accept the chain,
/// against all of them (built-in, system store, `AWS_CA_BUNDLE`). Adding roots never makes
/// a valid chain invalid, so it accepts exactly what one verifier holding every root accepts;
/// but a public Okta (the usual case) is verified without reading the system store, which
/// costs a few milliseconds on Linux and up to hundreds on macOS, and which a TLS-inspecting
/// proxy's chain then waits for.
#[derive(Debug)]
struct BuiltinFirst {
    builtin: Arc<WebPkiServerVerifier>,
}

impl BuiltinFirst {
    fn verify(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let first = self.builtin.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        if first.is_ok() {
            return first;
        }
        let full = full_verifier().map_err(|e| rustls::Error::General(e.to_string()))?;
        full.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }
}

/// The operating system's store (or what `SSL_CERT_FILE`/`SSL_CERT_DIR` name in its place),
/// read once per process for both clients: as DER for the SDK's STS client, and as the trust
/// anchors they parsed into for ours. On Linux the default store is the bundle file *and* the
/// directory it was made from, which hold the same certificates: each is kept once.
struct SystemRoots {
    certs: Vec<CertificateDer<'static>>,
    anchors: RootCertStore,
}

fn system_roots() -> &'static SystemRoots {
    static ROOTS: OnceLock<SystemRoots> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let (certs, errors) = read_system_store();
        for error in &errors {
            // A missing or unreadable store is not fatal: the built-in roots remain (Okta).
            tracing::debug!(%error, "system certificate store");
        }
        let mut anchors = RootCertStore::empty();
        let certs = certs
            .into_iter()
            // Only certificates that can be trust anchors (the STS client panics on others).
            .filter(|c| anchors.add(c.clone()).is_ok())
            .collect();
        SystemRoots { certs, anchors }
    })
}

/// The system store's certificates, each once: PEM files read by [`system_store`] where the
/// store is files, else the platform's store through `rustls-native-certs`.
fn read_system_store() -> (Vec<CertificateDer<'static>>, Vec<String>) {
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        let (file, dirs) = system_store::locations();
        let loaded = system_store::load(file.as_deref(), &dirs);
        (loaded.certs, loaded.errors)
    }
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    {
        let native = rustls_native_certs::load_native_certs();
        let mut seen = std::collections::HashSet::new();
        let certs = native
            .certs
            .into_iter()
            .filter(|c| seen.insert(c.as_ref().to_vec()))
            .collect();
        (certs, native.errors.iter().map(|e| e.to_string()).collect())
    }
}

/// The certificates of one `AWS_CA_BUNDLE` file: as DER (the SDK's STS client takes them as
/// PEM) and as the trust anchors they were checked to be.
struct Bundle {
    certs: Vec<CertificateDer<'static>>,
    anchors: RootCertStore,
}

/// Reads the files named by [`BUNDLE_VARS`], once per process (both clients use them; each
/// certificate is parsed as a trust anchor, which adds up for a bundle of a few hundred). A
/// variable that is set but names a file that cannot be read or holds no certificate is an
/// error naming it: ignoring it would turn a typo into a "certificate not trusted" later, far
/// from its cause. Only `AWS_CA_BUNDLE` gives certificates to add: `SSL_CERT_FILE` is what
/// rustls-native-certs (ours and the SDK's) reads as the system store, so adding it again
/// would parse the same few hundred certificates twice more for nothing.
fn extra_bundles() -> Result<&'static [Bundle]> {
    static BUNDLES: OnceLock<Vec<Bundle>> = OnceLock::new();
    if let Some(bundles) = BUNDLES.get() {
        return Ok(bundles);
    }
    let mut bundles = Vec::new();
    for var in BUNDLE_VARS {
        let Some(path) = std::env::var_os(var).filter(|v| !v.is_empty()) else {
            continue;
        };
        let path = PathBuf::from(path);
        let bytes = std::fs::read(&path).map_err(|e| {
            Error::Config(format!(
                "{var}={} cannot be read: {e}; it must name a PEM file of CA certificates",
                path.display()
            ))
        })?;
        let certs = CertificateDer::pem_slice_iter(&bytes)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| {
                Error::Config(format!(
                    "{var}={} is not a valid PEM file: {e}",
                    path.display()
                ))
            })?;
        let adds = var == ADDED_BUNDLE_VAR;
        // Only certificates that can be trust anchors count (the STS client panics on others).
        let mut anchors = RootCertStore::empty();
        let usable: Vec<_> = if adds {
            certs
                .into_iter()
                .filter(|c| anchors.add(c.clone()).is_ok())
                .collect()
        } else {
            certs
        };
        if usable.is_empty() {
            return Err(Error::Config(format!(
                "{var}={} holds no usable CA certificate (-----BEGIN CERTIFICATE----- blocks)",
                path.display()
            )));
        }
        tracing::debug!(var, path = %path.display(), certificates = usable.len(), added = adds, "CA bundle");
        if adds {
            bundles.push(Bundle {
                certs: usable,
                anchors,
            });
        }
    }
    Ok(BUNDLES.get_or_init(|| bundles))
}

/// Reads and checks the CA bundle files of the environment (kept for the process), so that a
/// bad one fails before any request is made.
pub fn check_bundles() -> Result<()> {
    extra_bundles().map(|_| ())
}

/// The TLS context for the AWS SDK's STS client: the system store (or `SSL_CERT_FILE`/
/// `SSL_CERT_DIR` in its place), the same certificates the Okta client read, plus
/// `AWS_CA_BUNDLE`'s.
///
/// Through the SDK's public API the verifier cannot be wrapped, so an STS certificate error
/// names the host but not the issuer.
pub fn sts_tls_context() -> Result<aws_smithy_http_client::tls::TlsContext> {
    static STS_TLS: OnceLock<aws_smithy_http_client::tls::TlsContext> = OnceLock::new();
    if let Some(context) = STS_TLS.get() {
        return Ok(context.clone());
    }
    let context = build_sts_tls_context()?;
    Ok(STS_TLS.get_or_init(|| context).clone())
}

fn build_sts_tls_context() -> Result<aws_smithy_http_client::tls::TlsContext> {
    use aws_smithy_http_client::tls::{TlsContext, TrustStore};
    let bundles = extra_bundles()?;
    // Not the SDK's own reading of the system store: it would read and parse it a second time.
    let mut store = TrustStore::empty();
    for cert in sts_roots(&system_roots().certs, bundles) {
        // Re-encoded from the checked DER: the SDK panics on a PEM block it cannot use.
        store.add_pem_certificate(pem(cert));
    }
    TlsContext::builder()
        .with_trust_store(store)
        .build()
        .map_err(|e| Error::network(format!("cannot set up TLS for AWS STS: {e}")))
}

/// What the STS client trusts: the system store and `AWS_CA_BUNDLE`'s certificates; where the
/// system has no store at all (a minimal container without ca-certificates), the built-in
/// Mozilla roots instead, as the Okta client has them: else the login would reach Okta, take the
/// push, and fail at STS. (Not always added: the SDK decodes every root again per process.)
fn sts_roots<'c>(
    system: &'c [CertificateDer<'static>],
    bundles: &'c [Bundle],
) -> Vec<&'c CertificateDer<'static>> {
    let builtin: &'c [CertificateDer<'static>] = if system.is_empty() {
        webpki_root_certs::TLS_SERVER_ROOT_CERTS
    } else {
        &[]
    };
    let mut anchors = RootCertStore::empty();
    system
        .iter()
        // Only built-in certificates that parse as trust anchors (the SDK panics on others);
        // the system store's and the bundles' were checked when read.
        .chain(builtin.iter().filter(|c| anchors.add((*c).clone()).is_ok()))
        .chain(bundles.iter().flat_map(|b| &b.certs))
        .collect()
}

fn pem(cert: &CertificateDer) -> Vec<u8> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(cert.as_ref());
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out.into_bytes()
}

/// The WebPKI verifier, with the issuer of the presented chain attached to a refusal so the
/// message can say which CA to trust.
#[derive(Debug)]
struct NamingVerifier {
    inner: BuiltinFirst,
}

/// A refused server certificate: why, and who issued the top of the presented chain.
#[derive(Debug)]
struct Refused {
    kind: CertificateError,
    issuer: Option<String>,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.issuer {
            Some(issuer) => write!(f, "{:?} (issuer {issuer})", self.kind),
            None => write!(f, "{:?}", self.kind),
        }
    }
}

impl std::error::Error for Refused {}

impl ServerCertVerifier for NamingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        self.inner
            .verify(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|e| match e {
                rustls::Error::InvalidCertificate(kind) => {
                    // The top of the chain the server sent: its issuer is the root to trust
                    // (for a proxy's certificate, the company CA).
                    let top = intermediates.last().unwrap_or(end_entity);
                    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(
                        Arc::new(Refused {
                            kind,
                            issuer: issuer_name(top.as_ref()),
                        }),
                    )))
                }
                other => other,
            })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        // Signatures do not depend on the roots: the built-in verifier checks them.
        self.inner
            .builtin
            .verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner
            .builtin
            .verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.builtin.supported_verify_schemes()
    }
}

/// A server certificate that failed verification, found in an error's chain.
#[derive(Debug, Clone, PartialEq)]
pub struct CertificateProblem {
    kind: CertificateError,
    issuer: Option<String>,
}

/// The certificate failure somewhere in `err`'s source chain (reqwest's and the AWS SDK's
/// errors wrap rustls' in hyper's and in `io::Error`s), if that is what failed.
pub fn certificate_problem(err: &(dyn std::error::Error + 'static)) -> Option<CertificateProblem> {
    let rustls_error = find_rustls_error(err, 0)?;
    let rustls::Error::InvalidCertificate(kind) = rustls_error else {
        return None;
    };
    if let CertificateError::Other(OtherError(inner)) = kind {
        if let Some(refused) = inner.downcast_ref::<Refused>() {
            return Some(CertificateProblem {
                kind: refused.kind.clone(),
                issuer: refused.issuer.clone(),
            });
        }
    }
    Some(CertificateProblem {
        kind: kind.clone(),
        issuer: None,
    })
}

fn find_rustls_error<'a>(
    err: &'a (dyn std::error::Error + 'static),
    depth: usize,
) -> Option<&'a rustls::Error> {
    if depth > 16 {
        return None;
    }
    if let Some(found) = err.downcast_ref::<rustls::Error>() {
        return Some(found);
    }
    // `io::Error::source` skips the error it wraps: look inside it explicitly.
    if let Some(inner) = err
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
    {
        if let Some(found) = find_rustls_error(inner, depth + 1) {
            return Some(found);
        }
    }
    find_rustls_error(err.source()?, depth + 1)
}

impl CertificateProblem {
    /// The user-facing error: what is wrong with `host`'s certificate (`service` names the
    /// server) and what to do about it. Exit code 18, like the other network failures.
    pub fn error(&self, service: &str, host: &str) -> Error {
        use CertificateError as C;
        let trust_hint = "If your company inspects TLS, trust its CA: add it to the system's certificate store, \
                          or set SSL_CERT_FILE or AWS_CA_BUNDLE to a PEM file that holds it";
        let message = match &self.kind {
            C::UnknownIssuer => {
                let issuer = match &self.issuer {
                    Some(issuer) => format!(": it was issued by \"{issuer}\", which is not a trusted CA"),
                    None => String::new(),
                };
                format!("TLS certificate not trusted for {host} ({service}){issuer}. {trust_hint}")
            }
            C::Expired | C::ExpiredContext { .. } => format!(
                "TLS certificate of {host} ({service}) has expired: check this machine's clock; if it is right, the server or a proxy in the way is misconfigured"
            ),
            C::NotValidYet | C::NotValidYetContext { .. } => format!(
                "TLS certificate of {host} ({service}) is not valid yet: check this machine's clock"
            ),
            C::NotValidForName | C::NotValidForNameContext { .. } => format!(
                "TLS certificate presented for {host} ({service}) is for another name: check the domain (`aws-okta add`), or whether a proxy is in the way"
            ),
            C::Revoked => format!("TLS certificate of {host} ({service}) has been revoked"),
            other => {
                let issuer = match &self.issuer {
                    Some(issuer) => format!(", issued by \"{issuer}\""),
                    None => String::new(),
                };
                format!(
                    "TLS certificate of {host} ({service}) was refused ({other:?}{issuer}). {trust_hint}"
                )
            }
        };
        Error::network(message)
    }
}

/// The issuer of a DER certificate as `CN=..., O=...` (most specific first, like RFC 4514),
/// for the message only: a minimal DER walk, `None` on anything unexpected. The text comes from
/// the server, so control characters are replaced and the length is capped.
fn issuer_name(cert: &[u8]) -> Option<String> {
    let (0x30, cert, _) = der(cert)? else {
        return None;
    };
    let (0x30, tbs, _) = der(cert)? else {
        return None;
    };
    let (tag, _, mut rest) = der(tbs)?;
    if tag == 0xa0 {
        // [0] version, then the serial number.
        rest = der(rest)?.2;
    }
    let rest = der(rest)?.2; // signature algorithm
    let (0x30, mut rdns, _) = der(rest)? else {
        return None;
    };
    let mut parts = Vec::new();
    while !rdns.is_empty() {
        let (0x31, mut set, next) = der(rdns)? else {
            return None;
        };
        rdns = next;
        while !set.is_empty() {
            let (0x30, attribute, next) = der(set)? else {
                return None;
            };
            set = next;
            let (0x06, oid, value) = der(attribute)? else {
                return None;
            };
            let label = match oid {
                [0x55, 0x04, 0x03] => "CN",
                [0x55, 0x04, 0x0a] => "O",
                [0x55, 0x04, 0x0b] => "OU",
                [0x55, 0x04, 0x06] => "C",
                _ => continue,
            };
            let (tag, value, _) = der(value)?;
            let text = match tag {
                // UTF8String, PrintableString, TeletexString, IA5String
                0x0c | 0x13 | 0x14 | 0x16 => String::from_utf8_lossy(value).into_owned(),
                // BMPString
                0x1e => String::from_utf16_lossy(
                    &value
                        .chunks_exact(2)
                        .map(|p| u16::from_be_bytes([p[0], p[1]]))
                        .collect::<Vec<_>>(),
                ),
                _ => continue,
            };
            parts.push(format!("{label}={text}"));
        }
    }
    parts.reverse();
    let name: String = parts
        .join(", ")
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .take(200)
        .collect();
    (!name.is_empty()).then_some(name)
}

/// One DER element: tag, contents, what follows.
fn der(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        first as usize
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real certificate (ISRG Root X2, from rustls-native-certs' docs): self-issued.
    const ISRG_X2: &str = "-----BEGIN CERTIFICATE-----
MIICGzCCAaGgAwIBAgIQQdKd0XLq7qeAwSxs6S+HUjAKBggqhkjOPQQDAzBPMQsw
CQYDVQQGEwJVUzEpMCcGA1UEChMgSW50ZXJuZXQgU2VjdXJpdHkgUmVzZWFyY2gg
R3JvdXAxFTATBgNVBAMTDElTUkcgUm9vdCBYMjAeFw0yMDA5MDQwMDAwMDBaFw00
MDA5MTcxNjAwMDBaME8xCzAJBgNVBAYTAlVTMSkwJwYDVQQKEyBJbnRlcm5ldCBT
ZWN1cml0eSBSZXNlYXJjaCBHcm91cDEVMBMGA1UEAxMMSVNSRyBSb290IFgyMHYw
EAYHKoZIzj0CAQYFK4EEACIDYgAEzZvVn4CDCuwJSvMWSj5cz3es3mcFDR0HttwW
+1qLFNvicWDEukWVEYmO6gbf9yoWHKS5xcUy4APgHoIYOIvXRdgKam7mAHf7AlF9
ItgKbppbd9/w+kHsOdx1ymgHDB/qo0IwQDAOBgNVHQ8BAf8EBAMCAQYwDwYDVR0T
AQH/BAUwAwEB/zAdBgNVHQ4EFgQUfEKWrt5LSDv6kviejM9ti6lyN5UwCgYIKoZI
zj0EAwMDaAAwZQIwe3lORlCEwkSHRhtFcP9Ymd70/aTSVaYgLXTWNLxBo1BfASdW
tL4ndQavEi51mI38AjEAi/V3bNTIZargCyzuFJ0nN6T5U6VR5CmD1/iQMVtCnwr1
/q4AaOeMSQ+2b1tbFfLn
-----END CERTIFICATE-----
";

    fn isrg_x2() -> CertificateDer<'static> {
        CertificateDer::from_pem_slice(ISRG_X2.as_bytes()).unwrap()
    }

    #[test]
    fn issuer_is_read_from_a_real_certificate() {
        assert_eq!(
            issuer_name(isrg_x2().as_ref()).as_deref(),
            Some("CN=ISRG Root X2, O=Internet Security Research Group, C=US")
        );
    }

    #[test]
    fn issuer_parsing_never_panics_on_cut_or_garbage_input() {
        let der = isrg_x2();
        for len in 0..der.len() {
            let _ = issuer_name(&der[..len]);
        }
        assert_eq!(issuer_name(b"\x30\x84\xff\xff\xff\xff"), None);
        assert_eq!(issuer_name(b""), None);
    }

    #[test]
    fn control_characters_from_the_server_never_reach_the_terminal() {
        // A certificate whose issuer CN is "a\x1b[31mb": patch the CN of a real one in place.
        let mut der = isrg_x2().as_ref().to_vec();
        let at = der.windows(12).position(|w| w == b"ISRG Root X2").unwrap();
        der[at..at + 12].copy_from_slice(b"I\x1b[31mRoot X");
        let name = issuer_name(&der).unwrap();
        assert!(name.starts_with("CN=I?[31mRoot X,"), "{name}");
    }

    #[test]
    fn certificate_problems_are_found_through_io_errors_and_sources() {
        #[derive(Debug)]
        struct Wrapper(std::io::Error);
        impl std::fmt::Display for Wrapper {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("connect error")
            }
        }
        impl std::error::Error for Wrapper {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let refused = rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(
            Arc::new(Refused {
                kind: CertificateError::UnknownIssuer,
                issuer: Some("CN=Corp Root".into()),
            }),
        )));
        let err = Wrapper(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            refused,
        ));
        let problem = certificate_problem(&err).unwrap();
        assert_eq!(problem.issuer.as_deref(), Some("CN=Corp Root"));
        let msg = problem.error("Okta", "example.okta.com").to_string();
        assert!(
            msg.contains("TLS certificate not trusted for example.okta.com (Okta)")
                && msg.contains("\"CN=Corp Root\"")
                && msg.contains("SSL_CERT_FILE")
                && msg.contains("AWS_CA_BUNDLE"),
            "{msg}"
        );
        assert!(matches!(problem.error("Okta", "h"), Error::Network { .. }));

        // The SDK's plain rustls error: no issuer, still a certificate problem.
        let plain = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
        );
        let problem = certificate_problem(&Wrapper(plain)).unwrap();
        assert_eq!(problem.issuer, None);
        assert!(problem
            .error("AWS STS", "sts.us-east-1.amazonaws.com")
            .to_string()
            .starts_with(
                "TLS certificate not trusted for sts.us-east-1.amazonaws.com (AWS STS). "
            ));

        // Not a certificate failure: left to the usual network handling.
        let other = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::General("alert".into()),
        );
        assert_eq!(certificate_problem(&Wrapper(other)), None);
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(certificate_problem(&Wrapper(refused)), None);
    }

    #[test]
    fn sts_trusts_the_built_in_roots_only_where_the_system_has_no_store() {
        let none = sts_roots(&[], &[]);
        assert!(none.len() > 100, "{} built-in roots", none.len());
        let one = CertificateDer::from(none[0].as_ref().to_vec());
        let system = vec![one];
        let some = sts_roots(&system, &[]);
        assert_eq!(some.len(), 1, "a system store is used as it is");
    }

    #[test]
    fn pem_round_trips() {
        let der = isrg_x2();
        let back = CertificateDer::from_pem_slice(&pem(&der)).unwrap();
        assert_eq!(back, der);
    }
}
