//! Topic 3, role-based access control: 401 without identity, 403 without the permission,
//! owner-or-admin on profiles, the deciding rule in the trace, and the trust-the-client
//! hole.

mod common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{Dojo, GRACE, Reply, assert_problem, layer, request};
use serde_json::json;

const ADMIN_USERS: &str = "/api/v1/admin/users";
const LINUS: &str = "linus@dojo.test";

async fn as_bearer(
    dojo: &Dojo,
    method: Method,
    path: &str,
    token: &str,
    extra: &[(&str, &str)],
) -> Reply {
    let bearer = format!("Bearer {token}");
    let mut headers = vec![("authorization", bearer.as_str())];
    headers.extend_from_slice(extra);
    let body = if method == Method::PATCH {
        headers.push(("content-type", "application/json"));
        Body::from(json!({ "display_name": "Renamed" }).to_string())
    } else {
        Body::empty()
    };
    dojo.send(request(method, path, &headers, body)).await
}

async fn rbac_reason(dojo: &Dojo, reply: &Reply) -> String {
    let trace = dojo.trace(&reply.request_id()).await;
    layer(&trace, "rbac")["reason"]
        .as_str()
        .expect("the rbac layer gives a reason")
        .to_owned()
}

#[tokio::test]
async fn the_admin_route_answers_401_without_identity_and_403_without_the_role() {
    let dojo = Dojo::new();
    assert_problem(&dojo.get(ADMIN_USERS).await, 401);

    let ada = dojo.login().await;
    let reply = as_bearer(&dojo, Method::GET, ADMIN_USERS, &ada, &[]).await;
    assert_eq!(
        assert_problem(&reply, 403)["detail"],
        "your role (user) does not allow list-users"
    );
    assert_eq!(
        rbac_reason(&dojo, &reply).await,
        "rule list-users: not granted to role user"
    );

    let linus = dojo.login_as(LINUS).await;
    let reply = as_bearer(&dojo, Method::GET, ADMIN_USERS, &linus, &[]).await;
    assert_problem(&reply, 403);

    let grace = dojo.login_as(GRACE).await;
    let reply = as_bearer(&dojo, Method::GET, ADMIN_USERS, &grace, &[]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let emails: Vec<_> = reply
        .json()
        .as_array()
        .expect("a list")
        .iter()
        .map(|u| u["email"].clone())
        .collect();
    assert_eq!(emails, [json!("ada@dojo.test"), json!(GRACE), json!(LINUS)]);
    assert_eq!(
        rbac_reason(&dojo, &reply).await,
        "rule list-users: granted to role admin"
    );
}

#[tokio::test]
async fn a_profile_is_edited_by_its_owner_or_an_admin_only() {
    let dojo = Dojo::new();
    let ada = dojo.login().await;
    let reply = as_bearer(&dojo, Method::PATCH, "/api/v1/users/1/profile", &ada, &[]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json()["display_name"], "Renamed");
    assert_eq!(
        rbac_reason(&dojo, &reply).await,
        "rule edit-own-profile: granted to role user"
    );

    // Wrong user: Ada may not edit Grace's profile; a moderator may not either.
    let reply = as_bearer(&dojo, Method::PATCH, "/api/v1/users/2/profile", &ada, &[]).await;
    assert_problem(&reply, 403);
    assert_eq!(
        rbac_reason(&dojo, &reply).await,
        "rule edit-any-profile: not granted to role user"
    );
    let linus = dojo.login_as(LINUS).await;
    assert_problem(
        &as_bearer(&dojo, Method::PATCH, "/api/v1/users/1/profile", &linus, &[]).await,
        403,
    );

    let grace = dojo.login_as(GRACE).await;
    let reply = as_bearer(&dojo, Method::PATCH, "/api/v1/users/3/profile", &grace, &[]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_problem(
        &as_bearer(
            &dojo,
            Method::PATCH,
            "/api/v1/users/99/profile",
            &grace,
            &[],
        )
        .await,
        404,
    );
    assert_problem(
        &dojo
            .send_json(
                Method::PATCH,
                "/api/v1/users/1/profile",
                &json!({ "display_name": "x" }),
            )
            .await,
        401,
    );
}

#[tokio::test]
async fn a_role_claimed_by_the_client_counts_only_with_the_switch_on() {
    let dojo = Dojo::new();
    let ada = dojo.login().await;
    let claim = [("x-role", "admin")];
    assert_problem(
        &as_bearer(&dojo, Method::GET, ADMIN_USERS, &ada, &claim).await,
        403,
    );

    dojo.switch("rbac-trust-role-claim", true).await;
    let reply = as_bearer(&dojo, Method::GET, ADMIN_USERS, &ada, &claim).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());

    dojo.reset_topic(3).await;
    assert_problem(
        &as_bearer(&dojo, Method::GET, ADMIN_USERS, &ada, &claim).await,
        403,
    );
}
