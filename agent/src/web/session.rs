//! The session extractor (cookie → user, or 303/401), login and logout, and the CSRF check of
//! POST forms. Cookies are `HttpOnly; Secure; SameSite=Strict; Path=/`.

use super::auth::{self, Cap, LoginError, SessionUser};
use super::{App, WebError, html, with_store};
use axum::extract::{Form, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::sync::Arc;

/// Name of the session cookie.
pub const COOKIE: &str = "docket_session";
const LOGIN_CSRF: &str = "docket_login_csrf";

/// A request with a valid session.
#[derive(Debug, Clone)]
pub struct Session(pub SessionUser);

impl Session {
    /// 403 unless the user's role may do `cap`.
    pub fn need(&self, cap: Cap) -> Result<(), WebError> {
        if self.0.role.can(cap) {
            Ok(())
        } else {
            Err(WebError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "{} ({}) may not do this ({cap:?})",
                    self.0.name,
                    self.0.role.name()
                ),
            ))
        }
    }

    /// 403 unless `token` is this session's CSRF token.
    pub fn check_csrf(&self, token: &str) -> Result<(), WebError> {
        if auth::same(token, &self.0.csrf) {
            Ok(())
        } else {
            Err(WebError::new(
                StatusCode::FORBIDDEN,
                "the form's CSRF token is missing or wrong: reload the page and try again",
            ))
        }
    }
}

/// A cookie's value from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

impl FromRequestParts<Arc<App>> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Response> {
        let deny = |parts: &Parts| -> Response {
            if parts.method == Method::GET {
                Redirect::to("/login").into_response()
            } else {
                WebError::new(StatusCode::UNAUTHORIZED, "log in first").into_response()
            }
        };
        let Some(token) = cookie(&parts.headers, COOKIE) else {
            return Err(deny(parts));
        };
        match with_store(app, move |s, _| auth::session(s, &token)).await {
            Ok(Some(u)) => Ok(Session(u)),
            Ok(None) => Err(deny(parts)),
            Err(e) => Err(e.into_response()),
        }
    }
}

fn set_cookie(name: &str, value: &str, max_age: i64) -> String {
    format!("{name}={value}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={max_age}")
}

/// `?error=` on the login page.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    error: Option<String>,
}

/// GET /login: the form, with a fresh login CSRF token (double-submit cookie).
pub async fn login_page(Query(q): Query<LoginQuery>) -> Response {
    let csrf = auth::random_token();
    let msg = match q.error.as_deref() {
        Some("locked") => {
            "<p class=error>This account is locked after 5 failed logins; an admin must unlock it.</p>"
        }
        Some(_) => "<p class=error>Wrong name or password.</p>",
        None => "",
    };
    let body = format!(
        r#"<h1>Docket</h1>{msg}<form method=post action="/login" class=login>
<input type=hidden name=csrf value="{csrf}">
<label>Name <input name=name id=name autocomplete=username required></label>
<label>Password <input name=password id=password type=password autocomplete=current-password required></label>
<button type=submit id=login>Log in</button></form>"#
    );
    (
        [(header::SET_COOKIE, set_cookie(LOGIN_CSRF, &csrf, 3600))],
        Html(html::bare("Log in", &body)),
    )
        .into_response()
}

/// The login form.
#[derive(Deserialize)]
pub struct LoginForm {
    name: String,
    password: String,
    #[serde(default)]
    csrf: String,
}

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LoginForm({})", self.name)
    }
}

/// POST /login.
pub async fn login_post(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    let expected = cookie(&headers, LOGIN_CSRF).unwrap_or_default();
    if expected.is_empty() || !auth::same(&expected, &form.csrf) {
        return Err(WebError::new(
            StatusCode::FORBIDDEN,
            "the login form's CSRF token is missing or wrong: reload the login page",
        ));
    }
    let name = form.name.trim().to_string();
    let password = form.password;
    let r = with_store(&app, move |s, _| auth::login(s, &name, &password)).await?;
    Ok(match r {
        Ok(token) => (
            [(
                header::SET_COOKIE,
                set_cookie(COOKIE, &token, auth::SESSION_HOURS * 3600),
            )],
            Redirect::to("/"),
        )
            .into_response(),
        Err(LoginError::Locked) => Redirect::to("/login?error=locked").into_response(),
        Err(LoginError::Wrong) => Redirect::to("/login?error=wrong").into_response(),
    })
}

/// A form with only the CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    /// The session's token.
    #[serde(default)]
    pub csrf: String,
}

/// POST /logout.
pub async fn logout_post(
    State(app): State<Arc<App>>,
    s: Session,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let u = s.0.clone();
    with_store(&app, move |st, _| auth::logout(st, &u)).await?;
    Ok((
        [(header::SET_COOKIE, set_cookie(COOKIE, "", 0))],
        Redirect::to("/login"),
    )
        .into_response())
}
