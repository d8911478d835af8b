//! Topic 1, JWT authentication, as a learner's client sees it: login, the protected
//! route, every kind of bad token with its own 401, and the "break it" switches.

mod common;

use axum::http::StatusCode;
use common::{
    ADA, Dojo, GRACE, PASSWORD, assert_problem, claims, problem_detail, signed_token, token_part,
    unsigned_token,
};
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

const LOGIN: &str = "/api/v1/auth/login";

#[tokio::test]
async fn login_issues_a_short_lived_hs256_bearer_token() {
    let dojo = Dojo::new();
    let reply = dojo
        .post_json(LOGIN, &json!({ "email": ADA, "password": PASSWORD }))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);

    let token = body["access_token"]
        .as_str()
        .expect("access_token is a string");
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "{token}");
    for part in &parts {
        assert!(!part.is_empty(), "{token}");
        assert!(
            part.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "base64url: {token}"
        );
    }
    let header = token_part(token, 0);
    assert_eq!(header["alg"], "HS256");
    let claims = token_part(token, 1);
    assert_eq!(claims["sub"], "1");
    assert_eq!(claims["role"], "user");
    let iat = claims["iat"].as_u64().expect("iat");
    let exp = claims["exp"].as_u64().expect("exp");
    assert_eq!(exp - iat, 900);
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
    assert!(!token.contains(PASSWORD));
}

#[tokio::test]
async fn login_email_is_case_insensitive_and_each_token_is_unique() {
    let dojo = Dojo::new();
    let first = dojo.login_as("Ada@Dojo.Test").await;
    let second = dojo.login().await;
    assert_ne!(first, second);
    assert_ne!(token_part(&first, 1)["jti"], token_part(&second, 1)["jti"]);
}

#[tokio::test]
async fn me_returns_the_tokens_user() {
    let dojo = Dojo::new();
    let token = dojo.login().await;
    let reply = dojo.me(Some(&format!("Bearer {token}"))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        reply.json(),
        json!({ "id": 1, "email": ADA, "role": "user" })
    );

    let token = dojo.login_as(GRACE).await;
    let reply = dojo.me(Some(&format!("Bearer {token}"))).await;
    assert_eq!(
        reply.json(),
        json!({ "id": 2, "email": GRACE, "role": "admin" })
    );
}

/// A problem body without its per-request `instance`.
fn without_instance(mut body: Value) -> Value {
    body.as_object_mut().expect("an object").remove("instance");
    body
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_401() {
    let dojo = Dojo::new();
    let wrong_password = dojo
        .post_json(LOGIN, &json!({ "email": ADA, "password": "Tr0ub4dor&3" }))
        .await;
    let unknown_email = dojo
        .post_json(
            LOGIN,
            &json!({ "email": "nobody@dojo.test", "password": PASSWORD }),
        )
        .await;

    let a = assert_problem(&wrong_password, 401);
    let b = assert_problem(&unknown_email, 401);
    assert_ne!(a["instance"], b["instance"]);
    assert_eq!(without_instance(a.clone()), without_instance(b));
    assert_eq!(a["detail"], "email or password is wrong");
    for reply in [&wrong_password, &unknown_email] {
        assert!(
            reply
                .header("www-authenticate")
                .is_some_and(|v| v.starts_with("Bearer"))
        );
    }
}

#[tokio::test]
async fn empty_login_fields_are_a_422_problem() {
    let dojo = Dojo::new();
    for body in [
        json!({ "email": "", "password": PASSWORD }),
        json!({ "email": "   ", "password": PASSWORD }),
        json!({ "email": ADA, "password": "" }),
    ] {
        let problem = assert_problem(&dojo.post_json(LOGIN, &body).await, 422);
        let errors = problem["errors"].as_array().expect("errors is an array");
        assert!(!errors.is_empty(), "{problem}");
    }
}

#[tokio::test]
async fn missing_login_field_is_a_422_problem() {
    let dojo = Dojo::new();
    let problem = assert_problem(&dojo.post_json(LOGIN, &json!({ "email": ADA })).await, 422);
    let message = problem["errors"][0]["message"]
        .as_str()
        .expect("a field message");
    assert!(message.contains("password"), "{problem}");
}

/// Asserts a 401 problem with `WWW-Authenticate` and returns its detail.
async fn refused(dojo: &Dojo, authorization: Option<&str>) -> String {
    let reply = dojo.me(authorization).await;
    let detail = problem_detail(&reply, 401);
    let challenge = reply
        .header("www-authenticate")
        .expect("401 carries WWW-Authenticate");
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    assert!(
        reply.json()["type"]
            .as_str()
            .is_some_and(|t| t.ends_with("/unauthorized"))
    );
    detail
}

/// Replaces a token's payload with `claims`, keeping its header and signature.
fn with_payload(token: &str, claims: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    format!("{}.{}.{}", parts[0], common::b64(claims), parts[2])
}

#[tokio::test]
async fn each_bad_token_gets_a_401_with_its_own_detail() {
    let dojo = Dojo::new();
    let secret = dojo.config.jwt_secret.clone();
    let good = dojo.login().await;
    let mut tampered_claims = token_part(&good, 1);
    tampered_claims["role"] = json!("admin");
    tampered_claims["sub"] = json!("2");
    let rs256_header = common::b64(&json!({ "alg": "RS256", "typ": "JWT" }));
    let no_alg_header = common::b64(&json!({ "typ": "JWT" }));
    let payload = common::b64(&claims("1", "user", 600));

    let cases: Vec<(&str, Option<String>, &str)> = vec![
        ("missing", None, "no Authorization header"),
        (
            "basic scheme",
            Some("Basic YWRhOmNvcnJlY3Q=".into()),
            "the Authorization header is not `Bearer <token>`",
        ),
        (
            "raw token",
            Some(good.clone()),
            "the Authorization header is not `Bearer <token>`",
        ),
        (
            "two parts",
            Some("Bearer abc.def".into()),
            "malformed token: a JWT has three dot-separated parts",
        ),
        (
            "four parts",
            Some(format!("Bearer {good}.x")),
            "malformed token: a JWT has three dot-separated parts",
        ),
        (
            "bad base64 header",
            Some(format!("Bearer !!!.{payload}.sig")),
            "malformed token: the header is not base64url JSON",
        ),
        (
            "header without alg",
            Some(format!("Bearer {no_alg_header}.{payload}.sig")),
            "algorithm not allowed: only HS256 is accepted",
        ),
        (
            "alg none",
            Some(format!(
                "Bearer {}",
                unsigned_token(&claims("1", "user", 600))
            )),
            "unsigned token (alg: none) refused",
        ),
        (
            "HS512",
            Some(format!(
                "Bearer {}",
                signed_token(Algorithm::HS512, &secret, &claims("1", "user", 600))
            )),
            "algorithm not allowed: only HS256 is accepted",
        ),
        (
            "RS256",
            Some(format!("Bearer {rs256_header}.{payload}.c2lnbmF0dXJl")),
            "algorithm not allowed: only HS256 is accepted",
        ),
        (
            "tampered payload",
            Some(format!("Bearer {}", with_payload(&good, &tampered_claims))),
            "signature does not match: the token was tampered with or signed with another key",
        ),
        (
            "another key",
            Some(format!(
                "Bearer {}",
                signed_token(
                    Algorithm::HS256,
                    b"some-other-sandbox-secret",
                    &claims("1", "user", 600)
                )
            )),
            "signature does not match: the token was tampered with or signed with another key",
        ),
        (
            "expired",
            Some(format!(
                "Bearer {}",
                signed_token(Algorithm::HS256, &secret, &claims("1", "user", -120))
            )),
            "token expired",
        ),
    ];
    for (name, authorization, expected) in cases {
        let detail = refused(&dojo, authorization.as_deref()).await;
        assert_eq!(detail, expected, "case: {name}");
    }

    // The good token still works: none of the above broke the sandbox.
    assert_eq!(
        dojo.me(Some(&format!("Bearer {good}"))).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn header_that_is_not_json_is_malformed() {
    let dojo = Dojo::new();
    let payload = common::b64(&claims("1", "user", 600));
    let header = base64_url("not json at all");
    let detail = refused(&dojo, Some(&format!("Bearer {header}.{payload}.sig"))).await;
    assert_eq!(detail, "malformed token: the header is not base64url JSON");
}

fn base64_url(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[tokio::test]
async fn token_without_exp_is_refused() {
    let dojo = Dojo::new();
    let mut no_exp = claims("1", "user", 600);
    no_exp.as_object_mut().expect("an object").remove("exp");
    let token = signed_token(Algorithm::HS256, &dojo.config.jwt_secret, &no_exp);
    let detail = refused(&dojo, Some(&format!("Bearer {token}"))).await;
    assert_eq!(detail, "a required claim (exp, sub) is missing");
}

#[tokio::test]
async fn valid_token_for_a_user_that_does_not_exist_is_a_404_problem() {
    let dojo = Dojo::new();
    let token = signed_token(
        Algorithm::HS256,
        &dojo.config.jwt_secret,
        &claims("42", "user", 600),
    );
    let detail = problem_detail(&dojo.me(Some(&format!("Bearer {token}"))).await, 404);
    assert_eq!(detail, "the token's user no longer exists");
}

#[tokio::test]
async fn token_signed_with_the_sandbox_key_and_future_exp_passes() {
    let dojo = Dojo::new();
    let token = signed_token(
        Algorithm::HS256,
        &dojo.config.jwt_secret,
        &claims("3", "moderator", 600),
    );
    let reply = dojo.me(Some(&format!("Bearer {token}"))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json()["email"], "linus@dojo.test");
}

#[tokio::test]
async fn accept_unsigned_switch_lets_alg_none_in_until_topic_reset() {
    let dojo = Dojo::new();
    // Forged claims: the attacker names the admin.
    let forged = format!("Bearer {}", unsigned_token(&claims("2", "admin", 600)));
    assert_eq!(
        refused(&dojo, Some(&forged)).await,
        "unsigned token (alg: none) refused"
    );

    dojo.switch("jwt-accept-unsigned", true).await;
    let reply = dojo.me(Some(&forged)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        reply.json(),
        json!({ "id": 2, "email": GRACE, "role": "admin" })
    );
    // Case does not hide it either way.
    let shouting = format!(
        "Bearer {}.{}.",
        common::b64(&json!({ "alg": "NONE", "typ": "JWT" })),
        common::b64(&claims("1", "user", 600))
    );
    assert_eq!(dojo.me(Some(&shouting)).await.status, StatusCode::OK);
    // Even with the hole open, an expired unsigned token is still refused.
    let expired = format!("Bearer {}", unsigned_token(&claims("2", "admin", -120)));
    assert_eq!(refused(&dojo, Some(&expired)).await, "token expired");

    dojo.reset_topic(1).await;
    assert_eq!(
        refused(&dojo, Some(&forged)).await,
        "unsigned token (alg: none) refused"
    );
    assert_eq!(
        refused(&dojo, Some(&shouting)).await,
        "unsigned token (alg: none) refused"
    );
}

#[tokio::test]
async fn skip_expiry_switch_lets_an_expired_token_in_until_topic_reset() {
    let dojo = Dojo::new();
    let expired = format!(
        "Bearer {}",
        signed_token(
            Algorithm::HS256,
            &dojo.config.jwt_secret,
            &claims("1", "user", -3600)
        )
    );
    assert_eq!(refused(&dojo, Some(&expired)).await, "token expired");

    dojo.switch("jwt-skip-expiry", true).await;
    let reply = dojo.me(Some(&expired)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json()["id"], 1);
    // The switch skips expiry, not the signature.
    let foreign = signed_token(
        Algorithm::HS256,
        b"some-other-sandbox-secret",
        &claims("1", "user", -3600),
    );
    assert!(
        refused(&dojo, Some(&format!("Bearer {foreign}")))
            .await
            .starts_with("signature does not match")
    );

    dojo.reset_topic(1).await;
    assert_eq!(refused(&dojo, Some(&expired)).await, "token expired");
    let switches = dojo.get("/_dojo/switches").await.json();
    assert!(
        switches
            .as_array()
            .expect("list")
            .iter()
            .all(|s| s["enabled"] == false),
        "{switches}"
    );
}

#[tokio::test]
async fn switches_can_be_closed_one_by_one() {
    let dojo = Dojo::new();
    let forged = format!("Bearer {}", unsigned_token(&claims("1", "user", 600)));
    dojo.switch("jwt-accept-unsigned", true).await;
    assert_eq!(dojo.me(Some(&forged)).await.status, StatusCode::OK);
    dojo.switch("jwt-accept-unsigned", false).await;
    assert_eq!(
        refused(&dojo, Some(&forged)).await,
        "unsigned token (alg: none) refused"
    );
}

#[tokio::test]
async fn resetting_another_topic_leaves_jwt_switches_alone() {
    let dojo = Dojo::new();
    let forged = format!("Bearer {}", unsigned_token(&claims("1", "user", 600)));
    dojo.switch("jwt-accept-unsigned", true).await;
    dojo.reset_topic(18).await;
    assert_eq!(dojo.me(Some(&forged)).await.status, StatusCode::OK);
}
