//! Clients that misbehave at the socket: headers too large or too many, requests that stop
//! halfway, bodies that trickle in. Each gets a clear answer or is cut off, and the
//! sandbox keeps serving everyone else meanwhile.

mod common;

use std::time::Duration;

use common::{DEADLINE, config};
use dojo_sandbox::{Sandbox, SandboxConfig};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Sends raw bytes on a fresh connection and reads until the server answers a status
/// line and headers, or closes the connection. `None`: closed without answering.
async fn raw_exchange(sandbox: &Sandbox, request: &[u8]) -> Option<String> {
    let mut stream = TcpStream::connect(sandbox.addr).await.expect("connects");
    // The server may answer and close before it has read everything; a failed write
    // then is part of what is being tested, so the answer is still read.
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    let read = timeout(DEADLINE, async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    answer.extend_from_slice(&chunk[..n]);
                    if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the sandbox neither answered nor closed");
    (!answer.is_empty()).then(|| String::from_utf8_lossy(&answer).into_owned())
}

fn status_of(answer: &str) -> u16 {
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"))
}

async fn healthz_status(sandbox: &Sandbox) -> u16 {
    let request = format!(
        "GET /healthz HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        sandbox.addr
    );
    let answer = raw_exchange(sandbox, request.as_bytes())
        .await
        .expect("healthz answers");
    status_of(&answer)
}

#[tokio::test]
async fn a_header_block_past_the_limit_gets_431_and_others_are_still_served() {
    let sandbox = Sandbox::start(config()).await.expect("starts");
    let huge = "a".repeat(1024 * 1024);
    let request = format!(
        "GET /healthz HTTP/1.1\r\nHost: {}\r\nX-Padding: {huge}\r\n\r\n",
        sandbox.addr
    );
    let answer = raw_exchange(&sandbox, request.as_bytes())
        .await
        .expect("an answer, not a silent close");
    assert_eq!(status_of(&answer), 431, "{answer}");
    assert_eq!(healthz_status(&sandbox).await, 200);
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn more_headers_than_allowed_get_431() {
    let sandbox = Sandbox::start(config()).await.expect("starts");
    let mut request = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n", sandbox.addr);
    for i in 0..500 {
        request.push_str(&format!("X-Extra-{i}: {i}\r\n"));
    }
    request.push_str("\r\n");
    let answer = raw_exchange(&sandbox, request.as_bytes())
        .await
        .expect("an answer, not a silent close");
    assert_eq!(status_of(&answer), 431, "{answer}");
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn garbage_instead_of_http_gets_400() {
    let sandbox = Sandbox::start(config()).await.expect("starts");
    let answer = raw_exchange(&sandbox, b"\x16\x03\x01 hello? \xff\xfe\r\n\r\n")
        .await
        .expect("an answer, not a silent close");
    assert_eq!(status_of(&answer), 400, "{answer}");
    assert_eq!(healthz_status(&sandbox).await, 200);
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn clients_that_stop_halfway_through_their_headers_do_not_block_others() {
    let sandbox = Sandbox::start(config()).await.expect("starts");
    let mut stalled = Vec::new();
    for _ in 0..200 {
        let mut stream = TcpStream::connect(sandbox.addr).await.expect("connects");
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            .await
            .expect("writes");
        stalled.push(stream);
    }
    // With two hundred connections hanging mid-header, a normal request still answers.
    assert_eq!(healthz_status(&sandbox).await, 200);
    drop(stalled);
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_cut_off_by_the_request_timeout() {
    let sandbox = Sandbox::start(SandboxConfig {
        request_timeout: Duration::from_millis(300),
        ..config()
    })
    .await
    .expect("starts");
    // Promises 100 bytes of JSON, sends 10, then goes quiet.
    let request = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: 100\r\n\r\n{{\"email\":",
        sandbox.addr
    );
    let answer = raw_exchange(&sandbox, request.as_bytes())
        .await
        .expect("an answer, not a silent close");
    // The timeout layer answers 503 for any request it cuts off (topic 15).
    assert_eq!(status_of(&answer), 503, "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("application/problem+json"),
        "{answer}"
    );
    assert_eq!(healthz_status(&sandbox).await, 200);
    sandbox.shutdown().await.expect("clean shutdown");
}
