//! Role-based access control (topic 3). Roles map to permissions in one const table;
//! [`RequirePermission`] refuses a caller without a valid token with 401 and a caller whose
//! role lacks the permission with 403, and the trace names the rule that decided.
//! `GET /api/v1/admin/users` is admin-only; `PATCH /api/v1/users/{id}/profile` is
//! owner-or-admin.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Mutex;

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::ValidJson;
use crate::features::jwt::AuthUser;
use crate::features::users::Role;
use crate::state::AppState;
use crate::switches::Switch;

// region: rbac-table
/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Edit one's own profile.
    EditOwnProfile,
    /// Hide other people's posts.
    ModerateContent,
    /// Edit anyone's profile.
    EditAnyProfile,
    /// List every account.
    ListUsers,
}

/// The one place that says which role may do what. Roles do not inherit implicitly: each
/// row lists everything, so reading one row answers "what can a moderator do?".
pub const GRANTS: [(Role, &[Permission]); 3] = [
    (Role::User, &[Permission::EditOwnProfile]),
    (
        Role::Moderator,
        &[Permission::EditOwnProfile, Permission::ModerateContent],
    ),
    (
        Role::Admin,
        &[
            Permission::EditOwnProfile,
            Permission::ModerateContent,
            Permission::EditAnyProfile,
            Permission::ListUsers,
        ],
    ),
];

/// Whether the role holds the permission.
pub fn grants(role: Role, permission: Permission) -> bool {
    GRANTS
        .iter()
        .any(|(r, permissions)| *r == role && permissions.contains(&permission))
}
// endregion

impl Permission {
    fn name(self) -> &'static str {
        match self {
            Permission::EditOwnProfile => "edit-own-profile",
            Permission::ModerateContent => "moderate-content",
            Permission::EditAnyProfile => "edit-any-profile",
            Permission::ListUsers => "list-users",
        }
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::User => "user",
        Role::Moderator => "moderator",
        Role::Admin => "admin",
    }
}

/// A permission as a type, so a handler's signature states what it needs.
pub trait Needs {
    const PERMISSION: Permission;
}

/// Marker: [`Permission::ListUsers`].
#[derive(Debug)]
pub struct ListUsers;

impl Needs for ListUsers {
    const PERMISSION: Permission = Permission::ListUsers;
}

/// A signed-in caller and the role the server decided they have.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: AuthUser,
    pub role: Role,
}

// region: rbac-extractor
impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    /// 401 comes from here, through `AuthUser`: no identity at all.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Caller> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        // The role comes from the signed token, which the server wrote. The hole trusts a
        // role the client states itself.
        let claimed = parts
            .headers
            .get("x-role")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| serde_json::from_value::<Role>(serde_json::json!(v)).ok());
        let role = match claimed {
            Some(role) if state.switches.is_on(Switch::RbacTrustRoleClaim) => role,
            _ => user.role,
        };
        Ok(Caller { user, role })
    }
}

/// A caller whose role holds `P`'s permission; anyone else gets 403.
#[derive(Debug)]
pub struct RequirePermission<P> {
    pub caller: Caller,
    permission: PhantomData<P>,
}

impl<P: Needs> FromRequestParts<AppState> for RequirePermission<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let caller = Caller::from_request_parts(parts, state).await?;
        decide(&caller, P::PERMISSION)?;
        Ok(RequirePermission {
            caller,
            permission: PhantomData,
        })
    }
}

/// Checks one permission and records the rule that decided in the trace.
pub fn decide(caller: &Caller, permission: Permission) -> ApiResult<()> {
    let role = role_name(caller.role);
    let rule = permission.name();
    if grants(caller.role, permission) {
        let reason = format!("rule {rule}: granted to role {role}");
        tracing::info!(target: "dojo::trace", layer = "rbac", step = "decision", decision = "passed", reason);
        Ok(())
    } else {
        let reason = format!("rule {rule}: not granted to role {role}");
        tracing::info!(target: "dojo::trace", layer = "rbac", step = "decision", decision = "short_circuited", status = 403u64, reason);
        Err(ApiError::Forbidden(format!(
            "your role ({role}) does not allow {rule}"
        )))
    }
}
// endregion

/// Display names set through the profile route; seeded users start with none.
#[derive(Debug, Default)]
pub struct Profiles {
    names: Mutex<HashMap<u64, String>>,
}

impl Profiles {
    pub fn clear(&self) {
        self.names.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    fn set(&self, id: u64, name: String) {
        self.names
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, name);
    }

    fn get(&self, id: u64) -> Option<String> {
        self.names
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .cloned()
    }
}

/// The routes, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users))
        .routes(routes!(edit_profile))
}

/// One account as an admin sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    display_name: Option<String>,
    #[schema(value_type = String, format = Email)]
    email: &'static str,
    id: u64,
    role: Role,
}

/// Every account (admins only)
#[utoipa::path(
    get,
    path = "/api/v1/admin/users",
    tag = "rbac",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every account", body = [AccountView]),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
    ),
)]
async fn list_users(
    State(state): State<AppState>,
    _admin: RequirePermission<ListUsers>,
) -> Json<Vec<AccountView>> {
    Json(
        (1..=state.users.count() as u64)
            .filter_map(|id| state.users.by_id(id))
            .map(|u| AccountView {
                display_name: state.profiles.get(u.id),
                email: u.email,
                id: u.id,
                role: u.role,
            })
            .collect(),
    )
}

/// The body of `PATCH /api/v1/users/{id}/profile`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "display_name": "Countess Ada" }))]
pub struct ProfileChange {
    display_name: String,
}

/// Change a user's display name (the owner or an admin)
#[utoipa::path(
    patch,
    path = "/api/v1/users/{id}/profile",
    tag = "rbac",
    security(("bearer" = [])),
    params(("id" = u64, Path, description = "The account to change")),
    request_body = ProfileChange,
    responses(
        (status = 200, description = "The changed account", body = AccountView),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::ValidationFailed),
    ),
)]
// region: rbac-owner-or-admin
async fn edit_profile(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<u64>,
    ValidJson(change): ValidJson<ProfileChange>,
) -> ApiResult<Json<AccountView>> {
    // Ownership is a rule about this row, so it is checked here, after loading the target,
    // not in a route-wide middleware.
    if caller.user.id == id {
        decide(&caller, Permission::EditOwnProfile)?;
    } else {
        decide(&caller, Permission::EditAnyProfile)?;
    }
    let user = state
        .users
        .by_id(id)
        .ok_or_else(|| ApiError::NotFound(format!("no user with id {id}")))?;
    let name = change.display_name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(ApiError::Validation(vec![FieldError {
            field: "display_name".into(),
            message: "1 to 60 characters".into(),
        }]));
    }
    state.profiles.set(id, name.to_owned());
    Ok(Json(AccountView {
        display_name: Some(name.to_owned()),
        email: user.email,
        id,
        role: user.role,
    }))
}
// endregion
