//! A small HTTP/1.1 server on loopback for tests that stand in front of, or in place of, the API
//! (a replay of recordings, a proxy that changes what passes): each request on a kept-alive
//! connection is read whole and answered by one function.

use std::io::{BufRead, BufReader, Write};
use std::sync::Arc;

/// A request as the server read it; header names in lower case.
pub struct Request {
    pub method: String,
    /// The path and query, as sent.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Serves every connection on a loopback port, answering each request with `answer`'s status and
/// JSON body; returns the server's root URL (`http://127.0.0.1:<port>`).
pub fn serve(answer: impl Fn(Request) -> (u16, Vec<u8>) + Send + Sync + 'static) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let answer = Arc::new(answer);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let answer = answer.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                while let Some(request) = read_request(&mut reader) {
                    let (status, body) = answer(request);
                    write!(writer, "HTTP/1.1 {status} Answer\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", body.len()).unwrap();
                    writer.write_all(&body).unwrap();
                }
            });
        }
    });
    format!("http://{address}")
}

/// The next request on the connection; None once the client closed it.
fn read_request(reader: &mut impl BufRead) -> Option<Request> {
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return None;
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let Some((name, value)) = line.trim_end().split_once(':') else {
            break;
        };
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    let length = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .map_or(0, |(_, value)| value.parse().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}
