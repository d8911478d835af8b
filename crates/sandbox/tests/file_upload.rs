//! Topic 22, local file upload: files streamed to disk under random names, names with paths
//! refused, 413 past the limit with nothing left on disk, downloads as attachments with
//! single ranges, symbolic links refused, and the `upload-trust-client-filename` hole kept
//! inside the sandbox's temp dir.

mod common;

use std::io;
use std::path::{Path, PathBuf};

use axum::body::{Body, Bytes};
use axum::http::{Method, StatusCode};
use common::{
    DEADLINE, Dojo, FormPart, Reply, assert_problem, config, dojo_with_state, layer,
    multipart_body, multipart_type, request, short_circuited,
};
use dojo_sandbox::{AppState, Sandbox};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

const FILES: &str = "/api/v1/files";
const LIMIT: usize = 2 * 1024 * 1024;
const NOTES: &[u8] = b"Backend Dojo notes: stream to disk, random names, ranges.\n";

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn upload_raw(dojo: &Dojo, name: &str, bytes: impl Into<Bytes>) -> Reply {
    dojo.send(request(
        Method::POST,
        &format!("{FILES}?name={}", encode(name)),
        &[("content-type", "application/octet-stream")],
        Body::from(bytes.into()),
    ))
    .await
}

async fn upload_form(dojo: &Dojo, name: &str, bytes: &[u8]) -> Reply {
    let body = multipart_body(&[FormPart {
        name: "file",
        file_name: Some(name),
        content_type: Some("application/octet-stream"),
        bytes,
    }]);
    dojo.send(request(
        Method::POST,
        FILES,
        &[("content-type", &multipart_type())],
        Body::from(body),
    ))
    .await
}

/// A body sent in chunks with no `Content-Length`, the way a streaming client sends it.
fn chunked(chunks: Vec<io::Result<Vec<u8>>>) -> Body {
    Body::from_stream(tokio_stream::iter(chunks))
}

fn created(reply: &Reply) -> Value {
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    reply.json()
}

/// File names in a directory (none if it does not exist).
fn entries(dir: Option<PathBuf>) -> Vec<String> {
    let Some(dir) = dir else {
        return Vec::new();
    };
    match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .map(|e| {
                e.expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect(),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(error) => panic!("{}: {error}", dir.display()),
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn is_random_name(name: &str) -> bool {
    name.len() == 32 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

#[tokio::test]
async fn a_raw_upload_is_stored_under_a_random_name_and_downloads_as_an_attachment() {
    let (dojo, state) = dojo_with_state(config());
    let reply = upload_raw(&dojo, "notes.txt", NOTES).await;
    let answer = created(&reply);
    let id = answer["id"].as_str().expect("an id").to_owned();
    assert!(is_random_name(&id), "{id}");
    assert_eq!(
        reply.header("location"),
        Some(format!("{FILES}/{id}").as_str())
    );
    assert_eq!(answer["name"], "notes.txt");
    assert_eq!(answer["size"], NOTES.len());
    assert_eq!(answer["content_type"], "text/plain; charset=utf-8");
    assert_eq!(answer["sha256"], hex_sha256(NOTES));

    // On disk: one file, under a random name that is neither the client's nor the id.
    let stored = entries(state.files.upload_dir());
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(is_random_name(&stored[0]) && stored[0] != id, "{stored:?}");

    let download = dojo.get(&format!("{FILES}/{id}")).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.body.as_ref(), NOTES);
    assert_eq!(
        download.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(
        download.header("content-disposition"),
        Some("attachment; filename=\"notes.txt\"; filename*=UTF-8''notes.txt")
    );
    assert_eq!(download.header("accept-ranges"), Some("bytes"));
    assert_eq!(download.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(
        download.header("etag"),
        Some(format!("\"{}\"", hex_sha256(NOTES)).as_str())
    );
    assert_eq!(
        download.header("content-length"),
        Some(NOTES.len().to_string().as_str())
    );

    let trace = dojo.trace(&reply.request_id()).await;
    assert_eq!(layer(&trace, "upload_name")["decision"], "passed");
    assert_eq!(layer(&trace, "upload_size")["decision"], "passed");
}

#[tokio::test]
async fn a_multipart_upload_streams_binary_content_byte_for_byte() {
    let (dojo, state) = dojo_with_state(config());
    // Larger than the 64 KiB default, with bytes that look like the multipart boundary.
    let mut content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    content.extend_from_slice(b"\r\n--dojo-test-boundary-7f3\r\n");
    let answer = created(&upload_form(&dojo, "data.bin", &content).await);
    assert_eq!(answer["content_type"], "application/octet-stream");
    assert_eq!(answer["size"], content.len());
    let download = dojo
        .get(&format!("{FILES}/{}", answer["id"].as_str().expect("id")))
        .await;
    assert_eq!(download.body.as_ref(), content.as_slice());
    assert_eq!(entries(state.files.upload_dir()).len(), 1);

    // The type comes from the bytes: a PNG named .txt is served as a PNG.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let answer = created(&upload_form(&dojo, "innocent.txt", &png).await);
    assert_eq!(answer["content_type"], "image/png");
    // And an HTML page is plain text, downloaded, never rendered.
    let answer = created(&upload_raw(&dojo, "page.html", "<script>alert(1)</script>").await);
    assert_eq!(answer["content_type"], "text/plain; charset=utf-8");
}

#[tokio::test]
async fn names_with_paths_are_refused_and_nothing_is_written() {
    let (dojo, state) = dojo_with_state(config());
    for (name, reason) in [
        ("../../etc/passwd", "climbs out"),
        ("..", "climbs out"),
        ("..\\..\\windows\\win.ini", "climbs out"),
        ("/etc/passwd", "absolute path"),
        ("C:\\boot.ini", "absolute path"),
        ("reports/q3.pdf", "contains a directory"),
        ("evil\0.txt", "control character"),
        ("", "empty"),
    ] {
        let mut replies = vec![upload_raw(&dojo, name, NOTES).await];
        // A NUL cannot even travel in a multipart header; the raw form's query can carry it.
        if !name.contains('\0') {
            replies.push(upload_form(&dojo, name, NOTES).await);
        }
        for reply in replies {
            let detail = assert_problem(&reply, 400)["detail"]
                .as_str()
                .expect("detail")
                .to_owned();
            assert!(detail.contains(reason), "{name:?}: {detail}");
            if !name.is_empty() {
                let trace = dojo.trace(&reply.request_id()).await;
                assert_eq!(short_circuited(&trace), ["upload_name"], "{name:?}");
            }
        }
    }
    assert_eq!(entries(state.files.upload_dir()), Vec::<String>::new());
    let outside = state
        .files
        .root_path()
        .expect("the temp dir exists")
        .join("victim/etc/passwd");
    assert!(!outside.exists());
}

#[tokio::test]
async fn downloads_only_look_up_ids_the_server_made() {
    let dojo = Dojo::new();
    created(&upload_raw(&dojo, "notes.txt", NOTES).await);
    for id in [
        "..%2F..%2Fetc%2Fpasswd",
        "%2Fetc%2Fpasswd",
        "....",
        "00000000000000000000000000000000",
        "5B0E9C2D4F6A8B1C3E5D7F9A0B2C4D6E",
    ] {
        let reply = dojo.get(&format!("{FILES}/{id}")).await;
        assert_problem(&reply, 404);
    }
}

#[tokio::test]
async fn a_streamed_body_past_the_limit_is_413_and_leaves_nothing_on_disk() {
    let (dojo, state) = dojo_with_state(config());
    // Chunks of 64 KiB, one byte more than the limit in all, with no Content-Length.
    let mut chunks: Vec<io::Result<Vec<u8>>> = (0..LIMIT / 65_536)
        .map(|_| Ok(vec![b'x'; 65_536]))
        .collect();
    chunks.push(Ok(vec![b'x']));
    let reply = dojo
        .send(request(
            Method::POST,
            &format!("{FILES}?name=big.log"),
            &[("content-type", "text/plain")],
            chunked(chunks),
        ))
        .await;
    let detail = assert_problem(&reply, 413)["detail"]
        .as_str()
        .expect("detail")
        .to_owned();
    assert!(
        detail.contains("2 MiB") && detail.contains("removed"),
        "{detail}"
    );
    let trace = dojo.trace(&reply.request_id()).await;
    assert_eq!(short_circuited(&trace), ["upload_size"], "{trace:#}");
    assert!(state.files.upload_dir().is_some(), "the upload had started");
    assert_eq!(entries(state.files.upload_dir()), Vec::<String>::new());

    // The same through multipart.
    let form = multipart_body(&[FormPart {
        name: "file",
        file_name: Some("big.log"),
        content_type: None,
        bytes: &vec![b'y'; LIMIT + 1],
    }]);
    let pieces: Vec<io::Result<Vec<u8>>> = form.chunks(50_000).map(|c| Ok(c.to_vec())).collect();
    let reply = dojo
        .send(request(
            Method::POST,
            FILES,
            &[("content-type", &multipart_type())],
            chunked(pieces),
        ))
        .await;
    assert_problem(&reply, 413);
    assert_eq!(entries(state.files.upload_dir()), Vec::<String>::new());

    // Exactly at the limit is fine.
    let answer = created(&upload_raw(&dojo, "full.log", vec![b'z'; LIMIT]).await);
    assert_eq!(answer["size"], LIMIT);
}

#[tokio::test]
async fn a_declared_length_past_the_limit_is_refused_before_reading() {
    let (dojo, state) = dojo_with_state(config());
    let size = 3 * 1024 * 1024;
    let reply = dojo
        .send(request(
            Method::POST,
            &format!("{FILES}?name=big.log"),
            &[("content-length", &size.to_string())],
            Body::from(vec![b'x'; size]),
        ))
        .await;
    assert_problem(&reply, 413);
    let trace = dojo.trace(&reply.request_id()).await;
    assert_eq!(short_circuited(&trace), ["body_limit"], "{trace:#}");
    assert_eq!(state.files.upload_dir(), None, "no upload was started");

    // The same bytes in one chunk with no length: refused by the stream's own limit.
    let reply = upload_raw(&dojo, "big.log", vec![b'x'; size]).await;
    assert_problem(&reply, 413);
    assert_eq!(entries(state.files.upload_dir()), Vec::<String>::new());
}

#[tokio::test]
async fn an_upload_that_breaks_off_leaves_nothing_on_disk() {
    let (dojo, state) = dojo_with_state(config());
    let chunks = vec![
        Ok(vec![b'a'; 100_000]),
        Ok(vec![b'b'; 100_000]),
        Err(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "the client went away",
        )),
    ];
    let reply = dojo
        .send(request(
            Method::POST,
            &format!("{FILES}?name=partial.bin"),
            &[],
            chunked(chunks),
        ))
        .await;
    assert_problem(&reply, 400);
    assert_eq!(entries(state.files.upload_dir()), Vec::<String>::new());

    // A second part after the file: refused, and the file already written is removed.
    let form = multipart_body(&[
        FormPart {
            name: "file",
            file_name: Some("a.txt"),
            content_type: None,
            bytes: NOTES,
        },
        FormPart {
            name: "file",
            file_name: Some("b.txt"),
            content_type: None,
            bytes: NOTES,
        },
    ]);
    let reply = dojo
        .send(request(
            Method::POST,
            FILES,
            &[("content-type", &multipart_type())],
            Body::from(form),
        ))
        .await;
    assert_problem(&reply, 400);
    assert_eq!(entries(state.files.upload_dir()), Vec::<String>::new());
}

async fn stored(dojo: &Dojo, content: &[u8]) -> String {
    let answer = created(&upload_raw(dojo, "data.txt", content.to_vec()).await);
    format!("{FILES}/{}", answer["id"].as_str().expect("id"))
}

#[tokio::test]
async fn single_ranges_are_206_with_content_range() {
    let dojo = Dojo::new();
    let content = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let url = stored(&dojo, content).await;
    let size = content.len();
    for (range, expected, content_range) in [
        ("bytes=0-9", &content[0..10], format!("bytes 0-9/{size}")),
        ("bytes=10-", &content[10..], format!("bytes 10-35/{size}")),
        ("bytes=-6", &content[30..], format!("bytes 30-35/{size}")),
        (
            "bytes=30-999",
            &content[30..],
            format!("bytes 30-35/{size}"),
        ),
    ] {
        let reply = dojo.get_with(&url, &[("range", range)]).await;
        assert_eq!(reply.status, StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(reply.body.as_ref(), expected, "{range}");
        assert_eq!(reply.header("content-range"), Some(content_range.as_str()));
        assert_eq!(
            reply.header("content-length"),
            Some(expected.len().to_string().as_str())
        );
        assert_eq!(
            reply.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
    }
    let reply = dojo.get_with(&url, &[("range", "bytes=5-9")]).await;
    let trace = dojo.trace(&reply.request_id()).await;
    assert!(
        layer(&trace, "range")["reason"]
            .as_str()
            .expect("reason")
            .contains("206 with bytes 5-9/36"),
        "{trace:#}"
    );
}

#[tokio::test]
async fn a_range_past_the_end_is_416_with_the_size() {
    let dojo = Dojo::new();
    let url = stored(&dojo, b"short file").await;
    for range in ["bytes=10-", "bytes=500-600", "bytes=-0"] {
        let reply = dojo.get_with(&url, &[("range", range)]).await;
        assert_problem(&reply, 416);
        assert_eq!(reply.header("content-range"), Some("bytes */10"), "{range}");
    }
}

#[tokio::test]
async fn ranges_the_server_does_not_serve_get_the_whole_file() {
    let dojo = Dojo::new();
    let content = b"the whole file, every byte";
    let url = stored(&dojo, content).await;
    for range in ["bytes=0-1,5-6", "lines=1-2", "bytes=9-2", "bytes=x-"] {
        let reply = dojo.get_with(&url, &[("range", range)]).await;
        assert_eq!(reply.status, StatusCode::OK, "{range}");
        assert_eq!(reply.body.as_ref(), content);
        assert!(reply.header("content-range").is_none());
    }

    // If-Range: a range only of the version the client already has.
    let etag = dojo
        .get(&url)
        .await
        .header("etag")
        .expect("an ETag")
        .to_owned();
    let same = dojo
        .get_with(&url, &[("range", "bytes=0-2"), ("if-range", &etag)])
        .await;
    assert_eq!(same.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(same.body.as_ref(), b"the");
    let changed = dojo
        .get_with(
            &url,
            &[("range", "bytes=0-2"), ("if-range", "\"an-older-version\"")],
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_eq!(changed.body.as_ref(), content);
}

#[tokio::test]
async fn head_answers_the_headers_only() {
    let dojo = Dojo::new();
    let url = stored(&dojo, NOTES).await;
    let reply = dojo
        .send(request(
            Method::HEAD,
            &url,
            &[("range", "bytes=0-4")],
            Body::empty(),
        ))
        .await;
    assert_eq!(reply.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(reply.header("content-length"), Some("5"));
    assert!(reply.body.is_empty());
}

#[cfg(unix)]
#[tokio::test]
async fn a_symlink_in_place_of_a_stored_file_is_refused() {
    let (dojo, state) = dojo_with_state(config());
    let answer = created(&upload_raw(&dojo, "notes.txt", NOTES).await);
    let id = answer["id"].as_str().expect("id");
    let secret_dir = tempfile::tempdir().expect("a temp dir");
    let secret = secret_dir.path().join("secret.env");
    std::fs::write(&secret, "DATABASE_PASSWORD=hunter2\n").expect("the secret is written");

    // Someone with another foothold swaps the stored file for a link to a secret.
    let path = state.files.path_of(id).expect("a stored path");
    std::fs::remove_file(&path).expect("the stored file is removed");
    std::os::unix::fs::symlink(&secret, &path).expect("a symlink is planted");

    let reply = dojo.get(&format!("{FILES}/{id}")).await;
    let detail = assert_problem(&reply, 403)["detail"]
        .as_str()
        .expect("detail")
        .to_owned();
    assert!(detail.contains("symbolic link"), "{detail}");
    assert!(!reply.text().contains("hunter2"));
    let trace = dojo.trace(&reply.request_id()).await;
    assert_eq!(short_circuited(&trace), ["file_open"], "{trace:#}");
}

fn victim_file(state: &AppState) -> PathBuf {
    state
        .files
        .root_path()
        .expect("the temp dir exists")
        .join("victim/srv/app/config.json")
}

#[tokio::test]
async fn break_it_client_names_traverse_but_only_inside_the_sandbox_temp_dir() {
    let (dojo, state) = dojo_with_state(config());
    let passwd_before = std::fs::read("/etc/passwd").ok();
    dojo.switch("upload-trust-client-filename", true).await;

    // `../config.json` climbs out of the upload directory and replaces a file there.
    let answer = created(&upload_raw(&dojo, "../config.json", "{\"admin\": true}").await);
    let client_path = &answer["client_path"];
    assert_eq!(
        client_path["would_write"], "/srv/app/config.json",
        "{answer}"
    );
    assert_eq!(client_path["written_to"], "victim/srv/app/config.json");
    assert_eq!(client_path["escaped_upload_dir"], true);
    assert_eq!(client_path["overwrote"], true);
    assert_eq!(
        std::fs::read_to_string(victim_file(&state)).expect("the victim file"),
        "{\"admin\": true}"
    );

    // An absolute or deep traversal shows the real target and lands in victim/ only.
    for name in ["../../../../../../etc/passwd", "/etc/passwd"] {
        let answer = created(&upload_raw(&dojo, name, "root::0:0::/root:/bin/sh\n").await);
        assert_eq!(
            answer["client_path"]["would_write"], "/etc/passwd",
            "{name}"
        );
        assert_eq!(answer["client_path"]["written_to"], "victim/etc/passwd");
    }
    assert_eq!(std::fs::read("/etc/passwd").ok(), passwd_before);

    // Two uploads with the same name: the second replaces the first one's file.
    let first = created(&upload_raw(&dojo, "report.txt", "first user's report").await);
    let second = created(&upload_raw(&dojo, "report.txt", "second user's report").await);
    assert_eq!(second["client_path"]["overwrote"], true);
    assert_eq!(second["client_path"]["escaped_upload_dir"], false);
    let reply = dojo
        .get(&format!("{FILES}/{}", first["id"].as_str().expect("id")))
        .await;
    assert_eq!(reply.text(), "second user's report");

    let reply = upload_raw(&dojo, "../x", "y").await;
    let trace = dojo.trace(&reply.request_id()).await;
    assert!(
        layer(&trace, "upload_name")["reason"]
            .as_str()
            .expect("reason")
            .contains("upload-trust-client-filename is on"),
        "{trace:#}"
    );

    // A reset closes the hole and removes the temp dir with everything in it.
    let root = state.files.root_path().expect("the temp dir");
    dojo.reset_topic(22).await;
    assert!(!root.exists(), "{} is gone", root.display());
    let reply = upload_raw(&dojo, "../config.json", "{}").await;
    assert_problem(&reply, 400);
}

#[cfg(unix)]
#[tokio::test]
async fn break_it_still_never_follows_a_symlink_out_of_the_temp_dir() {
    let (dojo, state) = dojo_with_state(config());
    dojo.switch("upload-trust-client-filename", true).await;
    created(&upload_raw(&dojo, "warmup.txt", "x").await);
    let outside = tempfile::tempdir().expect("a temp dir");
    let link = state
        .files
        .root_path()
        .expect("the temp dir")
        .join("victim/etc");
    std::os::unix::fs::symlink(outside.path(), &link).expect("a symlink is planted");
    let reply = upload_raw(&dojo, "/etc/cron.d/job", "* * * * * root sh").await;
    assert_problem(&reply, 403);
    assert_eq!(
        entries(Some(outside.path().to_path_buf())),
        Vec::<String>::new()
    );
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(DEADLINE)
        .build()
        .expect("a client")
}

#[tokio::test]
async fn real_multipart_and_ranges_over_a_socket() {
    let sandbox = Sandbox::start(config()).await.expect("the sandbox starts");
    let base = format!("http://{}", sandbox.addr);
    let client = client();
    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 256) as u8).collect();
    let body = multipart_body(&[FormPart {
        name: "file",
        file_name: Some("capture.bin"),
        content_type: Some("application/octet-stream"),
        bytes: &content,
    }]);
    let reply = client
        .post(format!("{base}{FILES}"))
        .header("content-type", multipart_type())
        .body(body)
        .send()
        .await
        .expect("an answer");
    assert_eq!(reply.status(), reqwest::StatusCode::CREATED);
    let answer: Value = reply.json().await.expect("JSON");
    let url = format!("{base}{}", answer["url"].as_str().expect("a url"));

    let part = client
        .get(&url)
        .header("range", "bytes=100000-100099")
        .send()
        .await
        .expect("an answer");
    assert_eq!(part.status(), reqwest::StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        part.headers()["content-range"].to_str().expect("ASCII"),
        "bytes 100000-100099/300000"
    );
    assert_eq!(
        part.bytes().await.expect("bytes").as_ref(),
        &content[100_000..100_100]
    );

    let whole = client.get(&url).send().await.expect("an answer");
    assert_eq!(
        whole.bytes().await.expect("bytes").as_ref(),
        content.as_slice()
    );

    let traversal = client
        .post(format!("{base}{FILES}?name=..%2F..%2Fetc%2Fpasswd"))
        .body("x")
        .send()
        .await
        .expect("an answer");
    assert_eq!(traversal.status(), reqwest::StatusCode::BAD_REQUEST);
    assert_eq!(entries(sandbox.state.files.upload_dir()).len(), 1);
    sandbox.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn reset_removes_the_upload_directory() {
    let (dojo, state) = dojo_with_state(config());
    let url = stored(&dojo, NOTES).await;
    let dir = state.files.upload_dir().expect("made on first upload");
    assert!(Path::new(&dir).exists());
    dojo.reset_topic(22).await;
    assert!(!dir.exists());
    assert_problem(&dojo.get(&url).await, 404);
    // Uploads work again, in a new directory.
    created(&upload_raw(&dojo, "again.txt", NOTES).await);
}
