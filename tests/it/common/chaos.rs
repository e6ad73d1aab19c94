//! A fault-injecting HTTP/1.1 proxy (std threads) that sits in front of the fake Okta or moto.
//! Every request is answered with `Connection: close`; a rule decides per request (by its
//! request line and its index) whether to pass it on or to inject a fault.
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Debug)]
pub enum Fault {
    /// Forward unchanged.
    Pass,
    /// Wait this long, then forward.
    Delay(Duration),
    /// Forward, then send the headers and half of the body and close the connection.
    CutMidBody,
    /// Forward, then send only the first half of the body with a matching Content-Length.
    TruncateBody,
    /// Answer with this status, content type and body instead of forwarding.
    Reply {
        status: u16,
        content_type: &'static str,
        body: String,
        headers: Vec<(String, String)>,
    },
    /// Forward, then rewrite the body with this function.
    Rewrite(fn(&str) -> String),
}

type Rule = dyn Fn(&str, u32) -> Fault + Send + Sync;

pub struct Chaos {
    pub url: String,
    requests: Arc<AtomicU32>,
    /// Request lines and response bodies seen, for secret-hygiene checks.
    pub seen: Arc<Mutex<Vec<String>>>,
}

impl Chaos {
    /// Proxies to `upstream` (`http://127.0.0.1:PORT`); `rule(request_line, index)`.
    pub fn start(
        upstream: &str,
        rule: impl Fn(&str, u32) -> Fault + Send + Sync + 'static,
    ) -> Chaos {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicU32::new(0));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let rule: Arc<Rule> = Arc::new(rule);
        let (count, log) = (requests.clone(), seen.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let index = count.fetch_add(1, Ordering::SeqCst);
                let (rule, upstream, log) = (rule.clone(), upstream.clone(), log.clone());
                std::thread::spawn(move || {
                    let _ = handle(stream, &upstream, index, &*rule, &log);
                });
            }
        });
        Chaos {
            url,
            requests,
            seen,
        }
    }

    pub fn requests(&self) -> u32 {
        self.requests.load(Ordering::SeqCst)
    }

    pub fn transcript(&self) -> String {
        self.seen.lock().unwrap().join("\n")
    }
}

fn read_message(reader: &mut BufReader<TcpStream>) -> std::io::Result<(Vec<String>, Vec<u8>)> {
    let mut head = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        head.push(line.trim_end().to_string());
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    Ok((head, body))
}

fn handle(
    stream: TcpStream,
    upstream: &str,
    index: u32,
    rule: &Rule,
    log: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let (head, body) = read_message(&mut reader)?;
    let request_line = head.first().cloned().unwrap_or_default();
    log.lock().unwrap().push(format!(
        "{request_line}\n{}",
        String::from_utf8_lossy(&body)
    ));
    let fault = rule(&request_line, index);
    let mut client = reader.into_inner();
    if let Fault::Reply {
        status,
        content_type,
        body,
        headers,
    } = &fault
    {
        let extra: String = headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}\r\n"))
            .collect();
        let response = format!(
            "HTTP/1.1 {status} Fault\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{body}",
            body.len()
        );
        return client.write_all(response.as_bytes());
    }
    if let Fault::Delay(d) = fault {
        std::thread::sleep(d);
    }
    // Forward with Connection: close, read the whole answer. The Host header stays the one
    // the client sent, as through a transparent proxy: the server's links and redirects then
    // name the address the client talks to.
    let mut up = TcpStream::connect(upstream)?;
    let mut request = String::new();
    for line in &head {
        if line.to_ascii_lowercase().starts_with("connection:") {
            continue;
        }
        request.push_str(line);
        request.push_str("\r\n");
    }
    request.push_str("Connection: close\r\n\r\n");
    up.write_all(request.as_bytes())?;
    up.write_all(&body)?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer)?;
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(answer.len(), |p| p + 4);
    let (resp_head, resp_body) = answer.split_at(split);
    let resp_head = String::from_utf8_lossy(resp_head).into_owned();
    let resp_body = decode_chunked(&resp_head, resp_body);
    log.lock().unwrap().push(format!(
        "{resp_head}{}",
        String::from_utf8_lossy(&resp_body)
    ));
    let head_without_length: String = resp_head
        .split("\r\n")
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            !l.is_empty()
                && !l.starts_with("content-length:")
                && !l.starts_with("transfer-encoding:")
                && !l.starts_with("connection:")
        })
        .map(|l| format!("{l}\r\n"))
        .collect();
    let send = |client: &mut TcpStream, body: &[u8], declared: usize| {
        client.write_all(
            format!("{head_without_length}Content-Length: {declared}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )?;
        client.write_all(body)
    };
    match fault {
        Fault::CutMidBody => {
            let half = &resp_body[..resp_body.len() / 2];
            send(&mut client, half, resp_body.len())?;
            client.flush()?;
            client.shutdown(std::net::Shutdown::Both)
        }
        Fault::TruncateBody => {
            let half = &resp_body[..resp_body.len() / 2];
            send(&mut client, half, half.len())
        }
        Fault::Rewrite(f) => {
            let text = f(&String::from_utf8_lossy(&resp_body));
            send(&mut client, text.as_bytes(), text.len())
        }
        _ => send(&mut client, &resp_body, resp_body.len()),
    }
}

fn decode_chunked(head: &str, body: &[u8]) -> Vec<u8> {
    if !head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return body.to_vec();
    }
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(pos) = rest.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&rest[..pos]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = pos + 2;
        out.extend_from_slice(&rest[start..(start + size).min(rest.len())]);
        rest = &rest[(start + size + 2).min(rest.len())..];
    }
    out
}
