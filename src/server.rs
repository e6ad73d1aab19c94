//! `exec --server`: a credential endpoint on 127.0.0.1 in the style of the ECS container
//! credentials provider, so long commands get fresh credentials instead of expiring ones.
//! Every AWS SDK reads `AWS_CONTAINER_CREDENTIALS_FULL_URI` + `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
use crate::provider::Credentials;
use crate::{Error, Result};
use rand::RngCore;
use serde::Serialize;
use tiny_http::{Header, Response, Server};

pub struct CredentialServer {
    /// `http://127.0.0.1:PORT/`
    pub url: String,
    /// The bearer token a request must carry in `Authorization`.
    pub token: String,
}

/// The ECS credentials format.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct EcsCredentials<'a> {
    access_key_id: &'a str,
    secret_access_key: &'a str,
    token: &'a str,
    expiration: String,
    role_arn: &'a str,
}

#[derive(Serialize)]
struct EcsError<'a> {
    code: &'a str,
    message: String,
}

/// Starts serving on a random loopback port; lives until the process exits. `source` is
/// asked on every request, so it answers from the cache and refreshes only when needed.
pub fn start(
    mut source: impl FnMut() -> Result<Credentials> + Send + 'static,
) -> Result<CredentialServer> {
    let server = Server::http("127.0.0.1:0").map_err(|e| {
        Error::Io(format!(
            "cannot start the credential server on 127.0.0.1: {e}"
        ))
    })?;
    let port = server
        .server_addr()
        .to_ip()
        .map(|a| a.port())
        .ok_or_else(|| Error::Io("the credential server has no TCP port".into()))?;
    let mut raw = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    let token = hex::encode(raw);
    let expected = token.clone();
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            let authorized = request
                .headers()
                .iter()
                .find(|h| h.field.equiv("Authorization"))
                .map(|h| h.value.as_str().trim())
                .map(|v| v.strip_prefix("Bearer ").unwrap_or(v))
                .is_some_and(|v| constant_time_eq(v.as_bytes(), expected.as_bytes()));
            let (status, body) = if !authorized {
                tracing::debug!(path = %request.url(), "credential server: refused a request without the token");
                (
                    401,
                    error_body(
                        "Unauthorized",
                        "missing or wrong AWS_CONTAINER_AUTHORIZATION_TOKEN".into(),
                    ),
                )
            } else {
                match source() {
                    Ok(creds) => {
                        tracing::debug!(role = %creds.assumed_role_arn, "credential server: served credentials");
                        (200, success_body(&creds))
                    }
                    Err(err) => {
                        eprintln!("aws-okta: credential server: {err}");
                        (500, error_body("CredentialsUnavailable", err.to_string()))
                    }
                }
            };
            let mut response = Response::from_data(body).with_status_code(status);
            if let Ok(header) = Header::from_bytes("Content-Type", "application/json") {
                response.add_header(header);
            }
            let _ = request.respond(response);
        }
    });
    Ok(CredentialServer {
        url: format!("http://127.0.0.1:{port}/"),
        token,
    })
}

fn success_body(creds: &Credentials) -> Vec<u8> {
    serde_json::to_vec(&EcsCredentials {
        access_key_id: &creds.access_key_id,
        secret_access_key: &creds.secret_access_key,
        token: &creds.session_token,
        expiration: crate::cli::rfc3339(&creds.expiration),
        role_arn: &creds.assumed_role_arn,
    })
    .unwrap_or_default()
}

fn error_body(code: &str, message: String) -> Vec<u8> {
    serde_json::to_vec(&EcsError { code, message }).unwrap_or_default()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    fn get(url: &str, token: Option<&str>) -> (u16, String) {
        let addr = url.trim_start_matches("http://").trim_end_matches('/');
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        let auth = token
            .map(|t| format!("Authorization: {t}\r\n"))
            .unwrap_or_default();
        write!(
            stream,
            "GET / HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).unwrap();
        let status = text[9..12].parse().unwrap();
        (
            status,
            text.split("\r\n\r\n").nth(1).unwrap_or("").to_string(),
        )
    }

    #[test]
    fn serves_ecs_credentials_only_with_the_token() {
        let mut calls = 0;
        let server = start(move || {
            calls += 1;
            Ok(Credentials {
                access_key_id: format!("ASIA{calls}"),
                secret_access_key: "secret".into(),
                session_token: "session".into(),
                expiration: chrono::Utc::now(),
                assumed_role_arn: "arn:aws:sts::1:assumed-role/r/s".into(),
            })
        })
        .unwrap();
        assert_eq!(server.token.len(), 64);
        let (status, body) = get(&server.url, None);
        assert_eq!(status, 401, "{body}");
        assert_eq!(get(&server.url, Some("wrong")).0, 401);
        let (status, body) = get(&server.url, Some(&server.token));
        assert_eq!(status, 200);
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            json["AccessKeyId"], "ASIA1",
            "refused requests did not call the source"
        );
        assert_eq!(json["Token"], "session");
        assert!(json["Expiration"].as_str().unwrap().ends_with('Z'));
    }

    #[test]
    fn source_errors_become_500_with_a_message() {
        let server = start(|| Err(Error::MfaTimeout)).unwrap();
        let (status, body) = get(&server.url, Some(&server.token));
        assert_eq!(status, 500);
        assert!(body.contains("MFA timed out"), "{body}");
    }
}
