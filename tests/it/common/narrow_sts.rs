//! A pass-through to moto that narrows the assertion of `AssumeRoleWithSAML` to the role asked
//! for. moto reads the Role attribute as a single value and answers 500 to an assertion that
//! offers several roles (real STS takes any of them); everything else goes through unchanged.
use base64::Engine as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

pub struct NarrowSts {
    pub url: String,
}

impl NarrowSts {
    pub fn start(moto_url: &str) -> NarrowSts {
        let upstream = moto_url.trim_start_matches("http://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let upstream = upstream.clone();
                std::thread::spawn(move || {
                    let _ = relay(stream, &upstream);
                });
            }
        });
        NarrowSts { url }
    }
}

fn relay(stream: TcpStream, upstream: &str) -> std::io::Result<()> {
    // One request per connection: the request to moto and moto's answer say `Connection:
    // close`, so the client opens a new connection for the next one.
    let mut reader = BufReader::new(stream);
    {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut headers = Vec::new();
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 || line == "\r\n" {
                break;
            }
            let lower = line.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
                continue;
            }
            if lower.starts_with("connection:") {
                continue;
            }
            headers.push(line);
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body)?;
        let body = narrow(&String::from_utf8_lossy(&body));
        let mut moto = TcpStream::connect(upstream)?;
        let mut out = request_line.clone();
        for h in &headers {
            out.push_str(h);
        }
        out.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ));
        moto.write_all(out.as_bytes())?;
        let mut response = Vec::new();
        moto.read_to_end(&mut response)?;
        let client = reader.get_mut();
        client.write_all(&response)?;
    }
    Ok(())
}

/// The form body with `SAMLAssertion` keeping only the Role value of `RoleArn`.
fn narrow(body: &str) -> String {
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    if get("Action").as_deref() != Some("AssumeRoleWithSAML") {
        return body.to_string();
    }
    let (Some(role), Some(assertion)) = (get("RoleArn"), get("SAMLAssertion")) else {
        return body.to_string();
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    let Ok(xml) = b64.decode(assertion.as_bytes()) else {
        return body.to_string();
    };
    let xml = String::from_utf8_lossy(&xml).into_owned();
    let mut kept = String::new();
    let mut rest = xml.as_str();
    const OPEN: &str = "<saml2:AttributeValue";
    const CLOSE: &str = "</saml2:AttributeValue>";
    while let Some(start) = rest.find(OPEN) {
        let Some(end) = rest[start..].find(CLOSE).map(|e| start + e + CLOSE.len()) else {
            break;
        };
        let value = &rest[start..end];
        kept.push_str(&rest[..start]);
        if !value.contains(":role/") || value.contains(&format!(",{role}<")) {
            kept.push_str(value);
        }
        rest = &rest[end..];
    }
    kept.push_str(rest);
    let narrowed = b64.encode(kept);
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields.iter().map(|(k, v)| {
            if k == "SAMLAssertion" {
                (k.as_str(), narrowed.as_str())
            } else {
                (k.as_str(), v.as_str())
            }
        }))
        .finish()
}
