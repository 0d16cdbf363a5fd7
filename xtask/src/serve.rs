//! `cargo xtask serve`: a small static HTTP/1.1 file server for the wasm package, the demo page
//! and the browser tests. Threaded wasm needs `SharedArrayBuffer`, which browsers only give a
//! cross-origin isolated page, so every response carries COOP/COEP (and CORP, which
//! `require-corp` demands of every subresource). Paths under `/no-isolation/` serve the same
//! files without COOP/COEP, for tests of what a page that is not isolated sees.
//!
//! One thread per connection, one request per connection (`Connection: close`): simple, and
//! plenty for a page, its modules and a `.wasm`.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// The URL prefix that turns cross-origin isolation off for the rest of the path.
pub const NO_ISOLATION: &str = "/no-isolation";

/// A running server. Dropping it stops accepting connections.
#[derive(Debug)]
pub struct Server {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// Serves `root` on 127.0.0.1:`port` (0: any free port) from a background thread; `log`
/// prints one line per request.
pub fn start(root: &Path, port: u16, log: bool) -> io::Result<Server> {
    let root = root.canonicalize()?;
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))?;
    let port = listener.local_addr()?.port();
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    let thread = std::thread::Builder::new()
        .name("serve".to_owned())
        .spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::Acquire) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let root = root.clone();
                let _ = std::thread::Builder::new()
                    .name("serve-conn".to_owned())
                    .spawn(move || {
                        if let Err(e) = handle(stream, &root, log) {
                            if log {
                                eprintln!("[serve] connection error: {e}");
                            }
                        }
                    });
            }
        })?;
    Ok(Server {
        port,
        stop,
        thread: Some(thread),
    })
}

impl Server {
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT` followed by `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port())
    }

    /// Serves until the process ends.
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // `accept` blocks: one connection wakes the loop, which then sees `stop`.
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Response {
    status: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Response {
    fn error(status: &'static str) -> Self {
        Response {
            status,
            headers: vec![("Content-Type", "text/plain; charset=utf-8".to_owned())],
            body: format!("{status}\n").into_bytes(),
        }
    }
}

fn handle(stream: TcpStream, root: &Path, log: bool) -> io::Result<()> {
    // A client that opens a connection and sends nothing must not hold a thread forever.
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Headers are read and dropped: nothing here depends on them.
    let mut header_bytes = 0;
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line)?;
        header_bytes += n;
        if n == 0 || line == "\r\n" || line == "\n" || header_bytes > 64 * 1024 {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (isolated, response) = respond(root, method, target);
    if log {
        println!("[serve] {} {method} {target}", &response.status[..3]);
    }
    write_response(stream, &response, isolated, method == "HEAD")
}

/// The response to one request, and whether it gets the cross-origin isolation headers.
fn respond(root: &Path, method: &str, target: &str) -> (bool, Response) {
    if method != "GET" && method != "HEAD" {
        let mut response = Response::error("405 Method Not Allowed");
        response.headers.push(("Allow", "GET, HEAD".to_owned()));
        return (true, response);
    }
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let path = path.split('#').next().unwrap_or("");
    let Some(path) = percent_decode(path) else {
        return (true, Response::error("400 Bad Request"));
    };
    let (isolated, path) = match path.strip_prefix(NO_ISOLATION) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => (false, rest.to_owned()),
        _ => (true, path),
    };
    let file = match resolve(root, &path) {
        Ok(file) => file,
        Err(status) => return (isolated, Response::error(status)),
    };
    if file.is_dir() {
        if !path.ends_with('/') {
            // Relative URLs in an index page resolve against the directory only with a slash.
            let prefix = if isolated { "" } else { NO_ISOLATION };
            let query = query.map(|q| format!("?{q}")).unwrap_or_default();
            let mut response = Response::error("301 Moved Permanently");
            response
                .headers
                .push(("Location", format!("{prefix}{path}/{query}")));
            return (isolated, response);
        }
        return (isolated, read(&file.join("index.html")));
    }
    (isolated, read(&file))
}

fn read(file: &Path) -> Response {
    match std::fs::read(file) {
        Ok(body) => Response {
            status: "200 OK",
            headers: vec![("Content-Type", mime(file).to_owned())],
            body,
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => Response::error("404 Not Found"),
        Err(_) => Response::error("403 Forbidden"),
    }
}

/// The file `path` names under `root`; `..` segments, and links that lead out of `root`, are
/// refused.
fn resolve(root: &Path, path: &str) -> Result<PathBuf, &'static str> {
    if !path.starts_with('/') {
        return Err("400 Bad Request");
    }
    let mut file = root.to_owned();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => return Err("403 Forbidden"),
            s if s.contains(['\\', '\0']) => return Err("403 Forbidden"),
            s => file.push(s),
        }
    }
    let Ok(real) = file.canonicalize() else {
        return Err("404 Not Found");
    };
    if real.starts_with(root) {
        Ok(real)
    } else {
        Err("403 Forbidden")
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn mime(file: &Path) -> &'static str {
    let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json",
        "css" => "text/css; charset=utf-8",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        // TypeScript declarations: shown as text, never executed.
        "ts" => "text/plain; charset=utf-8",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn write_response(
    stream: TcpStream,
    response: &Response,
    isolated: bool,
    head: bool,
) -> io::Result<()> {
    let mut out = io::BufWriter::new(stream);
    write!(out, "HTTP/1.1 {}\r\n", response.status)?;
    for (name, value) in &response.headers {
        write!(out, "{name}: {value}\r\n")?;
    }
    if isolated {
        write!(out, "Cross-Origin-Opener-Policy: same-origin\r\n")?;
        write!(out, "Cross-Origin-Embedder-Policy: require-corp\r\n")?;
    }
    write!(
        out,
        "Cross-Origin-Resource-Policy: same-origin\r\nCache-Control: no-store\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        response.body.len()
    )?;
    if !head {
        out.write_all(&response.body)?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn get(server: &Server, request: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut out = String::new();
        stream.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn serves_files_with_isolation_headers_and_refuses_traversal() {
        let root = crate::stages::root();
        let server = start(&root.join("xtask"), 0, false).unwrap();
        let ok = get(&server, "GET /Cargo.toml HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
        assert!(ok.contains("Cross-Origin-Embedder-Policy: require-corp\r\n"));
        assert!(ok.contains("Cross-Origin-Opener-Policy: same-origin\r\n"));
        assert!(ok.contains("name = \"xtask\""));
        let head = get(&server, "HEAD /src/main.rs HTTP/1.1\r\n\r\n");
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n") && head.ends_with("\r\n\r\n"));
        let plain = get(&server, "GET /no-isolation/Cargo.toml HTTP/1.1\r\n\r\n");
        assert!(plain.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(!plain.contains("Cross-Origin-Embedder-Policy"));
        assert!(get(&server, "GET /nope HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404"));
        for path in [
            "/../Cargo.toml",
            "/src/%2e%2e/%2E%2E/Cargo.toml",
            "/src\\..\\x",
        ] {
            let refused = get(&server, &format!("GET {path} HTTP/1.1\r\n\r\n"));
            assert!(refused.starts_with("HTTP/1.1 403"), "{path}: {refused}");
        }
        let moved = get(&server, "GET /src?a=1 HTTP/1.1\r\n\r\n");
        assert!(moved.contains("Location: /src/?a=1\r\n"), "{moved}");
    }

    #[test]
    fn knows_the_mime_types_the_package_needs() {
        assert_eq!(mime(Path::new("a/b_bg.wasm")), "application/wasm");
        assert!(mime(Path::new("x.mjs")).starts_with("text/javascript"));
        assert!(mime(Path::new("x.js")).starts_with("text/javascript"));
    }
}
