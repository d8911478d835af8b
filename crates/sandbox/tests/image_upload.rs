//! Topic 21, image upload to cloud storage: multipart uploads typed by their bytes, header
//! sizes checked before decoding (decompression bombs), re-encoded images with thumbnails
//! in the mock object store, presigned URLs that refuse tampering and expiry, the direct
//! upload flow, and the `upload-trust-declared-type` hole.

mod common;

use std::io::Cursor;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{
    DEADLINE, Dojo, FormPart, Reply, assert_problem, config, dojo_with_state, layer,
    multipart_body, multipart_type, request, short_circuited,
};
use dojo_sandbox::features::object_store::{Access, now_secs};
use dojo_sandbox::{AppState, Sandbox};
use image::{DynamicImage, ImageFormat, RgbImage};
use serde_json::Value;

const IMAGES: &str = "/api/v1/images";
const SVG_WITH_SCRIPT: &[u8] =
    b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(document.cookie)</script></svg>";

fn encode(image: RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image)
        .write_to(&mut out, format)
        .expect("the test image can be encoded");
    out.into_inner()
}

fn gradient(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 7 % 256) as u8, (y * 5 % 256) as u8, 128])
    })
}

fn png(width: u32, height: u32) -> Vec<u8> {
    encode(gradient(width, height), ImageFormat::Png)
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    encode(gradient(width, height), ImageFormat::Jpeg)
}

/// Pixels that do not compress, so the PNG is large for its size.
fn noisy_png(width: u32, height: u32) -> Vec<u8> {
    let mut state: u32 = 0x1234_5678;
    let image = RgbImage::from_fn(width, height, |_, _| {
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state & 0xFF) as u8
        };
        image::Rgb([next(), next(), next()])
    });
    encode(image, ImageFormat::Png)
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A real, tiny PNG whose header claims `width` x `height`: a few hundred bytes that would
/// ask a naive decoder for gigabytes.
fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = png(1, 1);
    assert_eq!(&bytes[12..16], b"IHDR", "IHDR is the first chunk");
    bytes[16..20].copy_from_slice(&width.to_be_bytes());
    bytes[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

/// A real JPEG whose frame header claims `width` x `height`.
fn jpeg_bomb(width: u16, height: u16) -> Vec<u8> {
    let mut bytes = jpeg(8, 8);
    let sof = bytes
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline frame header");
    bytes[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    bytes[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    bytes
}

async fn upload(dojo: &Dojo, file_name: &str, content_type: &str, bytes: &[u8]) -> Reply {
    let body = multipart_body(&[FormPart {
        name: "image",
        file_name: Some(file_name),
        content_type: Some(content_type),
        bytes,
    }]);
    dojo.send(request(
        Method::POST,
        IMAGES,
        &[("content-type", &multipart_type())],
        Body::from(body),
    ))
    .await
}

fn url(answer: &Value, member: &str) -> String {
    answer[member]
        .as_str()
        .unwrap_or_else(|| panic!("{member} is a URL: {answer}"))
        .to_owned()
}

fn decoded_size(bytes: &[u8]) -> (u32, u32) {
    let image = image::load_from_memory(bytes).expect("the served bytes are an image");
    (image.width(), image.height())
}

/// The reason a layer of the trace gave for its decision.
fn reason_of(trace: &Value, name: &str) -> String {
    layer(trace, name)["reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_png_is_stored_with_a_thumbnail_behind_presigned_urls() {
    let dojo = Dojo::new();
    let reply = upload(&dojo, "holiday.png", "image/png", &png(640, 480)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let answer = reply.json();
    let id = answer["id"].as_str().expect("an id").to_owned();
    assert_eq!(
        reply.header("location"),
        Some(format!("{IMAGES}/{id}").as_str())
    );
    assert_eq!(answer["content_type"], "image/png");
    assert_eq!(answer["type_from"], "magic_bytes");
    assert_eq!(
        (answer["width"].clone(), answer["height"].clone()),
        (640.into(), 480.into())
    );
    assert_eq!(answer["thumbnail_width"], 256);
    assert_eq!(answer["thumbnail_height"], 192);
    assert!(answer["urls_expire_at"].as_u64().expect("expiry") > now_secs());

    let full_url = url(&answer, "url");
    assert!(full_url.starts_with("/object-store/images/"), "{full_url}");
    assert!(
        !full_url.contains("holiday"),
        "the client's name is not the key: {full_url}"
    );
    let full = dojo.get(&full_url).await;
    assert_eq!(full.status, StatusCode::OK);
    assert_eq!(full.header("content-type"), Some("image/png"));
    assert_eq!(full.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(decoded_size(&full.body), (640, 480));
    assert_eq!(
        full.body.len(),
        answer["bytes"].as_u64().expect("bytes") as usize
    );

    let thumbnail = dojo.get(&url(&answer, "thumbnail_url")).await;
    assert_eq!(thumbnail.status, StatusCode::OK);
    assert_eq!(decoded_size(&thumbnail.body), (256, 192));

    // The trace names each check that passed.
    let trace = dojo.trace(&reply.request_id()).await;
    assert!(
        reason_of(&trace, "upload_type").contains("magic bytes"),
        "{trace:#}"
    );
    assert!(
        reason_of(&trace, "image_limits").contains("640 x 480"),
        "{trace:#}"
    );
    assert_eq!(layer(&trace, "decode")["decision"], "passed");

    // Fresh URLs for the same image, on request.
    let again = dojo.get(&format!("{IMAGES}/{id}")).await;
    assert_eq!(again.status, StatusCode::OK);
    let fresh = dojo.get(&url(&again.json(), "url")).await;
    assert_eq!(fresh.body, full.body);
}

#[tokio::test]
async fn the_type_comes_from_the_bytes_not_the_name_or_the_declared_type() {
    let dojo = Dojo::new();
    // A JPEG that says it is a PNG: stored as the JPEG it is.
    let reply = upload(&dojo, "photo.png", "image/png", &jpeg(300, 100)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let answer = reply.json();
    assert_eq!(answer["content_type"], "image/jpeg");
    assert!(url(&answer, "url").contains("/full.jpg?"), "{answer}");
    let served = dojo.get(&url(&answer, "url")).await;
    assert_eq!(served.header("content-type"), Some("image/jpeg"));
    assert_eq!(decoded_size(&served.body), (300, 100));

    // A WebP is accepted too, and stays a WebP.
    let webp = encode(gradient(40, 30), ImageFormat::WebP);
    let reply = upload(&dojo, "x.bin", "application/octet-stream", &webp).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    assert_eq!(reply.json()["content_type"], "image/webp");
}

#[tokio::test]
async fn renamed_non_images_are_refused_and_nothing_is_stored() {
    let (dojo, state) = dojo_with_state(config());
    for (name, declared, bytes) in [
        ("cat.png", "image/png", SVG_WITH_SCRIPT),
        ("cat.svg", "image/svg+xml", SVG_WITH_SCRIPT),
        (
            "avatar.jpg",
            "image/jpeg",
            b"<!doctype html><script>alert(1)</script>".as_slice(),
        ),
        ("avatar.jpg", "image/jpeg", b"".as_slice()),
        (
            "invoice.webp",
            "image/webp",
            b"%PDF-1.7 not an image".as_slice(),
        ),
    ] {
        let reply = upload(&dojo, name, declared, bytes).await;
        let problem = assert_problem(&reply, 415);
        let detail = problem["detail"].as_str().expect("detail");
        assert!(detail.contains("not a PNG, JPEG or WebP image"), "{detail}");
        let trace = dojo.trace(&reply.request_id()).await;
        assert_eq!(layer(&trace, "upload_type")["decision"], "short_circuited");
        assert_eq!(layer(&trace, "upload_type")["status"], 415);
    }
    assert!(state.object_store.is_empty(), "nothing refused was stored");
    assert!(state.images.is_empty());

    let reply = upload(&dojo, "cat.png", "image/png", SVG_WITH_SCRIPT).await;
    assert!(
        assert_problem(&reply, 415)["detail"]
            .as_str()
            .expect("detail")
            .contains("\"<svg xml\""),
        "the answer shows what the bytes really start with"
    );
}

#[tokio::test]
async fn a_truncated_image_is_a_422_on_the_image_field() {
    let (dojo, state) = dojo_with_state(config());
    let whole = png(120, 80);
    let reply = upload(&dojo, "cut.png", "image/png", &whole[..whole.len() / 2]).await;
    let problem = assert_problem(&reply, 422);
    assert_eq!(problem["errors"][0]["field"], "image", "{problem}");
    let message = problem["errors"][0]["message"].as_str().expect("message");
    assert!(message.contains("truncated or corrupt"), "{message}");
    let trace = dojo.trace(&reply.request_id()).await;
    assert_eq!(short_circuited(&trace), ["decode"], "{trace:#}");
    assert!(state.object_store.is_empty());
}

#[tokio::test]
async fn decompression_bombs_are_refused_from_the_header_before_decoding() {
    let (dojo, state) = dojo_with_state(config());
    let bomb = png_bomb(100_000, 100_000);
    assert!(bomb.len() < 200, "the bomb is tiny: {} bytes", bomb.len());
    for (name, bytes, declared) in [
        ("bomb.png", bomb, "100000 x 100000"),
        ("wide.png", png_bomb(20_000, 10), "20000 x 10"),
        ("bomb.jpg", jpeg_bomb(60_000, 60_000), "60000 x 60000"),
    ] {
        let reply = upload(&dojo, name, "image/png", &bytes).await;
        let problem = assert_problem(&reply, 422);
        let message = problem["errors"][0]["message"].as_str().expect("message");
        assert!(message.contains(declared), "{name}: {message}");
        assert!(message.contains("not decoded"), "{message}");
        let trace = dojo.trace(&reply.request_id()).await;
        assert_eq!(
            short_circuited(&trace),
            ["image_limits"],
            "{name}: {trace:#}"
        );
        let layers: Vec<&str> = trace["layers"]
            .as_array()
            .expect("layers")
            .iter()
            .filter_map(|l| l["layer"].as_str())
            .collect();
        assert!(
            !layers.contains(&"decode"),
            "no decode was attempted: {layers:?}"
        );
    }
    assert!(state.object_store.is_empty());
}

#[tokio::test]
async fn images_over_4_mib_are_refused_with_413_but_the_route_takes_more_than_64_kib() {
    let (dojo, state) = dojo_with_state(config());
    // Larger than the sandbox's 64 KiB default: the route's own allowance applies.
    let big = noisy_png(200, 200);
    assert!(big.len() > 64 * 1024, "{} bytes", big.len());
    let reply = upload(&dojo, "noise.png", "image/png", &big).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());

    // Over the image limit but within the route's framing allowance: the handler counts.
    let mut too_big = png(4, 4);
    too_big.resize(4 * 1024 * 1024 + 1, 0);
    let reply = upload(&dojo, "huge.png", "image/png", &too_big).await;
    assert!(
        assert_problem(&reply, 413)["detail"]
            .as_str()
            .expect("detail")
            .contains("4 MiB")
    );
    // Far over: the body limit layer refuses on Content-Length alone, before reading.
    too_big.resize(5 * 1024 * 1024, 0);
    let body = multipart_body(&[FormPart {
        name: "image",
        file_name: Some("huge.png"),
        content_type: Some("image/png"),
        bytes: &too_big,
    }]);
    let length = body.len().to_string();
    let reply = dojo
        .send(request(
            Method::POST,
            IMAGES,
            &[
                ("content-type", &multipart_type()),
                ("content-length", &length),
            ],
            Body::from(body),
        ))
        .await;
    assert_problem(&reply, 413);
    let trace = dojo.trace(&reply.request_id()).await;
    assert_eq!(short_circuited(&trace), ["body_limit"], "{trace:#}");
    // Without a length the same body is cut off while it streams.
    let reply = upload(&dojo, "huge.png", "image/png", &too_big).await;
    assert_problem(&reply, 413);

    // Other routes keep the default.
    let login = dojo
        .send(request(
            Method::POST,
            "/api/v1/auth/login",
            &[("content-type", "application/json")],
            Body::from(vec![b' '; 70 * 1024]),
        ))
        .await;
    assert_problem(&login, 413);
    assert_eq!(state.images.len(), 1, "only the noise image was stored");
}

#[tokio::test]
async fn the_form_must_carry_one_image_part() {
    let dojo = Dojo::new();
    let not_multipart = dojo
        .send(request(
            Method::POST,
            IMAGES,
            &[("content-type", "image/png")],
            Body::from(png(2, 2)),
        ))
        .await;
    assert_problem(&not_multipart, 415);

    let wrong_field = multipart_body(&[FormPart {
        name: "avatar",
        file_name: Some("a.png"),
        content_type: Some("image/png"),
        bytes: &png(2, 2),
    }]);
    let reply = dojo
        .send(request(
            Method::POST,
            IMAGES,
            &[("content-type", &multipart_type())],
            Body::from(wrong_field),
        ))
        .await;
    assert!(
        assert_problem(&reply, 400)["detail"]
            .as_str()
            .expect("detail")
            .contains("`image`")
    );

    let empty = multipart_body(&[]);
    let reply = dojo
        .send(request(
            Method::POST,
            IMAGES,
            &[("content-type", &multipart_type())],
            Body::from(empty),
        ))
        .await;
    assert_problem(&reply, 400);

    let broken = dojo
        .send(request(
            Method::POST,
            IMAGES,
            &[("content-type", &multipart_type())],
            Body::from("--not-the-boundary\r\nnonsense"),
        ))
        .await;
    assert_problem(&broken, 400);
}

/// The key, expiry and signature of a presigned URL.
fn url_parts(url: &str) -> (String, String, String) {
    let (path, query) = url.split_once('?').expect("a query");
    let key = path
        .strip_prefix("/object-store/")
        .expect("a store URL")
        .to_owned();
    let mut expires = String::new();
    let mut signature = String::new();
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("expires", value)) => value.clone_into(&mut expires),
            Some(("signature", value)) => value.clone_into(&mut signature),
            _ => {}
        }
    }
    (key, expires, signature)
}

#[tokio::test]
async fn tampered_and_expired_urls_are_403() {
    let (dojo, state) = dojo_with_state(config());
    let answer = upload(&dojo, "a.png", "image/png", &png(50, 50))
        .await
        .json();
    let (key, expires, signature) = url_parts(&url(&answer, "url"));
    let (thumb_key, _, _) = url_parts(&url(&answer, "thumbnail_url"));

    let later = (expires.parse::<u64>().expect("a number") + 86_400).to_string();
    let flipped: String = signature
        .chars()
        .map(|c| if c == '0' { '1' } else { '0' })
        .collect();
    for (case, target, expected) in [
        (
            "another key",
            format!("/object-store/{thumb_key}?expires={expires}&signature={signature}"),
            "does not match",
        ),
        (
            "a later expiry",
            format!("/object-store/{key}?expires={later}&signature={signature}"),
            "does not match",
        ),
        (
            "another signature",
            format!("/object-store/{key}?expires={expires}&signature={flipped}"),
            "does not match",
        ),
        ("no signature", format!("/object-store/{key}"), "private"),
    ] {
        let reply = dojo.get(&target).await;
        let detail = assert_problem(&reply, 403)["detail"]
            .as_str()
            .expect("detail")
            .to_owned();
        assert!(detail.contains(expected), "{case}: {detail}");
        let trace = dojo.trace(&reply.request_id()).await;
        assert_eq!(
            short_circuited(&trace),
            ["object_store"],
            "{case}: {trace:#}"
        );
    }

    // A URL the store itself signed, valid until a minute ago.
    let expired = state
        .object_store
        .presign(Access::Read, &key, now_secs() - 60);
    let reply = dojo.get(&expired).await;
    assert!(
        assert_problem(&reply, 403)["detail"]
            .as_str()
            .expect("detail")
            .contains("expired")
    );

    // A read URL does not allow a write.
    let read_url = url(&answer, "url");
    let reply = dojo
        .send(request(
            Method::PUT,
            &read_url,
            &[],
            Body::from("overwrite"),
        ))
        .await;
    assert_problem(&reply, 403);
    assert_eq!(dojo.get(&read_url).await.status, StatusCode::OK);
}

async fn ticket(dojo: &Dojo) -> Value {
    let reply = dojo
        .send(request(
            Method::POST,
            &format!("{IMAGES}/uploads"),
            &[],
            Body::empty(),
        ))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    reply.json()
}

async fn put(dojo: &Dojo, url: &str, content_type: &str, bytes: Vec<u8>) -> Reply {
    dojo.send(request(
        Method::PUT,
        url,
        &[("content-type", content_type)],
        Body::from(bytes),
    ))
    .await
}

#[tokio::test]
async fn direct_upload_goes_to_quarantine_then_is_checked_and_published() {
    let (dojo, state) = dojo_with_state(config());
    let ticket = ticket(&dojo).await;
    let upload_url = url(&ticket, "upload_url");
    assert_eq!(ticket["method"], "PUT");
    assert!(
        ticket["key"]
            .as_str()
            .expect("key")
            .starts_with("incoming/"),
        "{ticket}"
    );
    let complete = url(&ticket, "complete_url");

    // Completing before the bytes are there: 409, and the ticket stays usable.
    assert_problem(&dojo.post_json(&complete, &Value::Null).await, 409);

    // The upload URL cannot be used to read.
    assert_problem(&dojo.get(&upload_url).await, 403);
    let stored = put(&dojo, &upload_url, "image/png", png(90, 60)).await;
    assert_eq!(stored.status, StatusCode::OK, "{}", stored.text());
    assert!(stored.header("etag").is_some());
    // Nothing serves the quarantine key: no read URL is ever signed for it.
    assert_eq!(state.object_store.len(), 1);

    let reply = dojo.post_json(&complete, &Value::Null).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let image = reply.json();
    assert_eq!(image["width"], 90);
    let served = dojo.get(&url(&image, "thumbnail_url")).await;
    assert_eq!(decoded_size(&served.body), (90, 60));
    assert_eq!(
        state.object_store.len(),
        2,
        "quarantine emptied; image and thumbnail kept"
    );

    // A ticket completes once.
    assert_problem(&dojo.post_json(&complete, &Value::Null).await, 404);
}

#[tokio::test]
async fn a_direct_upload_of_a_non_image_is_refused_and_removed_from_quarantine() {
    let (dojo, state) = dojo_with_state(config());
    let ticket = ticket(&dojo).await;
    let stored = put(
        &dojo,
        &url(&ticket, "upload_url"),
        "image/svg+xml",
        SVG_WITH_SCRIPT.to_vec(),
    )
    .await;
    assert_eq!(
        stored.status,
        StatusCode::OK,
        "a store keeps whatever it is sent"
    );
    let reply = dojo
        .post_json(&url(&ticket, "complete_url"), &Value::Null)
        .await;
    assert_problem(&reply, 415);
    assert!(
        state.object_store.is_empty(),
        "the refused bytes were deleted"
    );

    // A bomb sent straight to the store is refused at completion just the same.
    let ticket = self::ticket(&dojo).await;
    put(
        &dojo,
        &url(&ticket, "upload_url"),
        "image/png",
        png_bomb(90_000, 90_000),
    )
    .await;
    let reply = dojo
        .post_json(&url(&ticket, "complete_url"), &Value::Null)
        .await;
    assert_problem(&reply, 422);
}

#[tokio::test]
async fn the_store_refuses_an_object_over_its_limit() {
    let (dojo, state) = dojo_with_state(config());
    let ticket = ticket(&dojo).await;
    let reply = put(
        &dojo,
        &url(&ticket, "upload_url"),
        "image/png",
        vec![0; 4 * 1024 * 1024 + 1],
    )
    .await;
    assert_problem(&reply, 413);
    assert!(state.object_store.is_empty());
}

#[tokio::test]
async fn the_sample_image_is_there_from_the_start_and_after_a_reset() {
    let dojo = Dojo::new();
    for round in 0..2 {
        let reply = dojo.get(&format!("{IMAGES}/sample")).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        let answer = reply.json();
        let full = dojo.get(&url(&answer, "url")).await;
        assert_eq!(full.status, StatusCode::OK, "round {round}");
        assert_eq!(decoded_size(&full.body), (320, 200));
        dojo.reset_topic(21).await;
        // The old URL names an object the reset removed.
        assert_problem(&dojo.get(&url(&answer, "url")).await, 404);
    }
    assert_problem(&dojo.get(&format!("{IMAGES}/not-an-image")).await, 404);
}

#[tokio::test]
async fn break_it_trusting_the_declared_type_stores_a_script_as_an_image() {
    let (dojo, state) = dojo_with_state(config());
    dojo.switch("upload-trust-declared-type", true).await;
    let reply = upload(&dojo, "cat.svg", "image/svg+xml", SVG_WITH_SCRIPT).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let answer = reply.json();
    assert_eq!(answer["type_from"], "client_declared");
    assert_eq!(answer["content_type"], "image/svg+xml");
    assert!(
        answer["thumbnail_url"].is_null(),
        "nothing was decoded: {answer}"
    );
    let served = dojo.get(&url(&answer, "url")).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.header("content-type"), Some("image/svg+xml"));
    assert!(
        served.text().contains("<script>"),
        "the script is served back as is"
    );
    let trace = dojo.trace(&reply.request_id()).await;
    assert!(
        reason_of(&trace, "upload_type").contains("upload-trust-declared-type is on"),
        "{trace:#}"
    );

    // A name is enough when the declared type says nothing.
    let reply = upload(
        &dojo,
        "logo.svg",
        "application/octet-stream",
        SVG_WITH_SCRIPT,
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    assert_eq!(reply.json()["content_type"], "image/svg+xml");

    // Resetting the topic closes the hole and empties the store.
    dojo.reset_topic(21).await;
    assert!(state.object_store.is_empty());
    let reply = upload(&dojo, "cat.svg", "image/svg+xml", SVG_WITH_SCRIPT).await;
    assert_problem(&reply, 415);
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(DEADLINE)
        .build()
        .expect("a client")
}

#[tokio::test]
async fn real_multipart_over_a_socket() {
    let sandbox = Sandbox::start(config()).await.expect("the sandbox starts");
    let base = format!("http://{}", sandbox.addr);
    let client = client();
    let send = |bytes: Vec<u8>, name: &'static str| {
        let body = multipart_body(&[FormPart {
            name: "image",
            file_name: Some(name),
            content_type: Some("image/png"),
            bytes: &bytes,
        }]);
        client
            .post(format!("{base}{IMAGES}"))
            .header("content-type", multipart_type())
            .body(body)
            .send()
    };

    let reply = send(jpeg(800, 600), "photo.jpg").await.expect("an answer");
    assert_eq!(reply.status(), reqwest::StatusCode::CREATED);
    let answer: Value = reply.json().await.expect("JSON");
    let thumbnail = client
        .get(format!("{base}{}", url(&answer, "thumbnail_url")))
        .send()
        .await
        .expect("an answer");
    assert_eq!(thumbnail.status(), reqwest::StatusCode::OK);
    assert_eq!(
        thumbnail.headers()["content-type"].to_str().expect("ASCII"),
        "image/jpeg"
    );
    let bytes = thumbnail.bytes().await.expect("the thumbnail");
    assert_eq!(decoded_size(&bytes), (256, 192));

    let bomb = send(png_bomb(70_000, 70_000), "bomb.png")
        .await
        .expect("an answer");
    assert_eq!(bomb.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    let renamed = send(SVG_WITH_SCRIPT.to_vec(), "cat.png")
        .await
        .expect("an answer");
    assert_eq!(
        renamed.status(),
        reqwest::StatusCode::UNSUPPORTED_MEDIA_TYPE
    );

    let state: &AppState = &sandbox.state;
    assert_eq!(state.images.len(), 1);
    sandbox.shutdown().await.expect("clean shutdown");
}
