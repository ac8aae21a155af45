//! A small real HTTP/1.1 server on 127.0.0.1 for the fetching tests and the
//! batch benchmark: std only (plus flate2 to gzip a body on request).
//!
//! Each path has a [`Route`] the test can change between runs; every request
//! is logged (path, headers, arrival time) so tests can check what redline
//! sent. Connections are kept alive, as real servers do. It only ever binds
//! the loopback address.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the server answers on one path.
#[derive(Debug, Clone)]
pub enum Route {
    /// A page: 200 with the body, or 304 when the request's If-None-Match
    /// equals `etag`.
    Page {
        body: Vec<u8>,
        content_type: String,
        etag: Option<String>,
        last_modified: Option<String>,
    },
    /// A status with extra headers and a body.
    Status {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// A redirect to `location`.
    Redirect { status: u16, location: String },
    /// Says nothing for this long, then answers like `then`.
    Stall { delay: Duration, then: Box<Route> },
    /// 200 with `len` bytes of text, streamed.
    Huge { len: usize },
    /// Answers each route in turn, repeating the last one.
    Sequence(Vec<Route>),
}

impl Route {
    /// A text/plain page with a strong ETag derived from its content.
    pub fn text(body: &[u8]) -> Route {
        Route::Page {
            body: body.to_vec(),
            content_type: "text/plain; charset=utf-8".into(),
            etag: Some(format!("\"{:x}\"", fnv(body))),
            last_modified: None,
        }
    }

    /// A text/plain page without validators (always 200).
    pub fn text_no_validators(body: &[u8]) -> Route {
        Route::Page {
            body: body.to_vec(),
            content_type: "text/plain; charset=utf-8".into(),
            etag: None,
            last_modified: None,
        }
    }

    pub fn status(status: u16) -> Route {
        Route::Status {
            status,
            headers: Vec::new(),
            body: format!("status {status}\n").into_bytes(),
        }
    }
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Logged {
    pub path: String,
    /// Header names lower-cased.
    pub headers: HashMap<String, String>,
    pub at: Instant,
}

#[derive(Default)]
struct Shared {
    routes: HashMap<String, Route>,
    /// How many times each Sequence route has answered.
    served: HashMap<String, usize>,
    log: Vec<Logged>,
}

/// A running server; it stops when the test process ends.
#[derive(Clone)]
pub struct Server {
    pub port: u16,
    shared: Arc<Mutex<Shared>>,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let s = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let s = s.clone();
                std::thread::spawn(move || serve(stream, &s));
            }
        });
        Server { port, shared }
    }

    /// `http://127.0.0.1:PORT/path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The same server under the name `localhost` (another host for pacing).
    pub fn url_localhost(&self, path: &str) -> String {
        format!("http://localhost:{}{path}", self.port)
    }

    pub fn route(&self, path: &str, route: Route) {
        let mut shared = self.shared.lock().unwrap();
        shared.served.remove(path);
        shared.routes.insert(path.to_string(), route);
    }

    /// Requests received so far for `path`.
    pub fn requests(&self, path: &str) -> Vec<Logged> {
        let shared = self.shared.lock().unwrap();
        shared
            .log
            .iter()
            .filter(|l| l.path == path)
            .cloned()
            .collect()
    }

    pub fn all_requests(&self) -> Vec<Logged> {
        self.shared.lock().unwrap().log.clone()
    }

    pub fn clear_log(&self) {
        self.shared.lock().unwrap().log.clear();
    }
}

fn serve(stream: TcpStream, shared: &Mutex<Shared>) {
    let _ = stream.set_nodelay(true);
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut stream = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let at = Instant::now();
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        if let Some(len) = headers
            .get("content-length")
            .and_then(|l| l.parse::<u64>().ok())
        {
            let _ = std::io::copy(&mut (&mut reader).take(len), &mut std::io::sink());
        }
        let route = {
            let mut shared = shared.lock().unwrap();
            shared.log.push(Logged {
                path: path.clone(),
                headers: headers.clone(),
                at,
            });
            let route = shared.routes.get(&path).cloned();
            match route {
                Some(Route::Sequence(list)) => {
                    let n = shared.served.entry(path.clone()).or_insert(0);
                    let r = list[(*n).min(list.len() - 1)].clone();
                    *n += 1;
                    Some(r)
                }
                other => other,
            }
        };
        let route = route.unwrap_or_else(|| Route::status(404));
        if respond(&mut stream, &route, &headers).is_err() {
            return;
        }
    }
}

fn respond(
    stream: &mut TcpStream,
    route: &Route,
    request: &HashMap<String, String>,
) -> std::io::Result<()> {
    match route {
        Route::Page {
            body,
            content_type,
            etag,
            last_modified,
        } => {
            let mut extra = Vec::new();
            if let Some(e) = etag {
                extra.push(("ETag".to_string(), e.clone()));
            }
            if let Some(lm) = last_modified {
                extra.push(("Last-Modified".to_string(), lm.clone()));
            }
            let fresh = etag.is_some() && request.get("if-none-match") == etag.as_ref()
                || last_modified.is_some()
                    && etag.is_none()
                    && request.get("if-modified-since") == last_modified.as_ref();
            if fresh {
                return write_response(stream, 304, &extra, b"");
            }
            extra.push(("Content-Type".into(), content_type.clone()));
            let gzip = request
                .get("accept-encoding")
                .is_some_and(|a| a.contains("gzip"))
                && body.len() > 64;
            if gzip {
                let mut enc =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                enc.write_all(body)?;
                let zipped = enc.finish()?;
                extra.push(("Content-Encoding".into(), "gzip".into()));
                write_response(stream, 200, &extra, &zipped)
            } else {
                write_response(stream, 200, &extra, body)
            }
        }
        Route::Status {
            status,
            headers,
            body,
        } => write_response(stream, *status, headers, body),
        Route::Redirect { status, location } => write_response(
            stream,
            *status,
            &[("Location".to_string(), location.clone())],
            b"",
        ),
        Route::Stall { delay, then } => {
            std::thread::sleep(*delay);
            respond(stream, then, request)
        }
        Route::Huge { len } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {len}\r\n\r\n"
            );
            stream.write_all(head.as_bytes())?;
            let chunk = vec![b'a'; 64 * 1024];
            let mut left = *len;
            while left > 0 {
                let n = left.min(chunk.len());
                stream.write_all(&chunk[..n])?;
                left -= n;
            }
            Ok(())
        }
        Route::Sequence(_) => write_response(stream, 500, &[], b"nested sequence"),
    }
}

fn write_response(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} X\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if status != 304 {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut all = head.into_bytes();
    all.extend_from_slice(body);
    stream.write_all(&all)?;
    stream.flush()
}
