//! A tiny HTTP server with one canned answer that records the requests it got: for AWS
//! endpoints moto does not emulate (the console federation endpoint) and STS error paths.
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{Arc, Mutex};

pub struct CannedServer {
    pub url: String,
    /// Request lines (`GET /path?query HTTP/1.1`), in order.
    pub requests: Arc<Mutex<Vec<String>>>,
    /// Whole requests (request line, headers, body), in order: what an attacker's server
    /// would have learnt.
    pub raw: Arc<Mutex<Vec<String>>>,
}

impl CannedServer {
    pub fn start(status: u16, content_type: &str, body: &str) -> CannedServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let raw = Arc::new(Mutex::new(Vec::new()));
        let seen_raw = raw.clone();
        let response = format!(
            "HTTP/1.1 {status} Canned\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream);
                let mut request_line = String::new();
                let _ = reader.read_line(&mut request_line);
                let mut length = 0usize;
                let mut whole = request_line.clone();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    whole.push_str(&line);
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut request_body = vec![0u8; length];
                let _ = reader.read_exact(&mut request_body);
                whole.push_str(&String::from_utf8_lossy(&request_body));
                seen_raw.lock().unwrap().push(whole);
                seen.lock()
                    .unwrap()
                    .push(request_line.trim_end().to_string());
                let _ = reader.get_mut().write_all(response.as_bytes());
            }
        });
        CannedServer { url, requests, raw }
    }

    /// Everything the server received, as one text.
    pub fn received(&self) -> String {
        self.raw.lock().unwrap().join("\n")
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}
