//! `docket serve`: the review desk and the auditor's view. A small axum server rendering HTML on
//! the server (every value escaped with [`crate::report::esc`]), bound to 127.0.0.1 by default.
//!
//! Security rules every route follows: a session is required except on `/login` and
//! `/static/app.js` (GET without one → 303 to `/login`, anything else → 401); every POST carries
//! the session's CSRF token; each page and action names the [`auth::Cap`] it needs (403
//! otherwise); every action is a ledger entry with the user. [`ROUTES`] lists the routes so a test
//! can walk them.

pub mod auth;
mod compliance;
mod html;
mod pages;
mod review;
mod session;
pub mod tls;

use crate::store::Store;
use anyhow::Result;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub use session::Session;

/// How to serve.
#[derive(Debug, Clone)]
pub struct Config {
    /// The data dir (run store, ledger, evidence).
    pub data_dir: PathBuf,
    /// Where to listen.
    pub bind: SocketAddr,
    /// A folder of flows, for next fire times on the schedules page.
    pub flows: Option<PathBuf>,
    /// PEM certificate chain and private key: serve HTTPS instead of HTTP.
    pub tls: Option<(PathBuf, PathBuf)>,
}

/// Shared by every request.
pub struct App {
    /// The configuration.
    pub config: Config,
    store: Mutex<Store>,
}

impl App {
    /// Opens the store of `config.data_dir`.
    pub fn new(config: Config) -> Result<Self> {
        let store = Store::open(&config.data_dir)?;
        Ok(Self {
            config,
            store: Mutex::new(store),
        })
    }
}

/// Runs `f` with the store on a blocking thread.
pub(crate) async fn with_store<T, F>(app: &Arc<App>, f: F) -> Result<T, WebError>
where
    T: Send + 'static,
    F: FnOnce(&mut Store, &App) -> Result<T> + Send + 'static,
{
    let app = Arc::clone(app);
    tokio::task::spawn_blocking(move || {
        let mut store = app
            .store
            .lock()
            .map_err(|_| anyhow::anyhow!("the run store lock was poisoned"))?;
        f(&mut store, &app)
    })
    .await
    .map_err(|e| WebError::from(anyhow::anyhow!("request task failed: {e}")))?
    .map_err(WebError::from)
}

/// An error page. A [`crate::failure::Failure`] keeps its code and message (they are written for
/// people and never contain secrets); anything else is a 500.
#[derive(Debug)]
pub struct WebError {
    status: StatusCode,
    message: String,
}

impl WebError {
    /// An error with a status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

impl From<anyhow::Error> for WebError {
    fn from(e: anyhow::Error) -> Self {
        use docket_core::ErrorCode;
        if let Some(f) = e.downcast_ref::<crate::failure::Failure>() {
            let status = match f.code {
                ErrorCode::FourEyes => StatusCode::FORBIDDEN,
                ErrorCode::ReportState | ErrorCode::ReportChanged => StatusCode::CONFLICT,
                _ => StatusCode::BAD_REQUEST,
            };
            return Self::new(status, format!("{}: {}", f.code, f.message));
        }
        tracing::error!("dashboard request failed: {e:#}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}"))
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let body = html::bare(
            &format!("{}", self.status),
            &format!(
                "<h1>{}</h1><p class=error>{}</p><p><a href=\"/\">back</a></p>",
                self.status,
                crate::report::esc(&self.message)
            ),
        );
        (self.status, axum::response::Html(body)).into_response()
    }
}

/// Every route: method, path pattern, and an example path for tests (`{…}` filled in).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/runs"),
    ("GET", "/runs/{id}"),
    ("GET", "/review"),
    ("GET", "/doc/{run}/{sha}"),
    ("GET", "/doc/{run}/{sha}/page/{n}"),
    ("POST", "/doc/{run}/{sha}/correct"),
    ("POST", "/doc/{run}/{sha}/accept"),
    ("GET", "/alerts"),
    ("GET", "/cases"),
    ("GET", "/cases/{id}"),
    ("GET", "/reports"),
    ("POST", "/reports/{id}/approve"),
    ("GET", "/schedules"),
    ("POST", "/schedules/{flow}/pause"),
    ("POST", "/schedules/{flow}/resume"),
    ("GET", "/ledger"),
    ("GET", "/evidence/{*path}"),
    ("GET", "/users"),
    ("POST", "/users"),
    ("POST", "/users/{name}/unlock"),
    ("POST", "/logout"),
];

/// The router (without the listener), for tests and [`serve`].
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/login", get(session::login_page).post(session::login_post))
        .route("/static/app.js", get(html::app_js))
        .route("/logout", post(session::logout_post))
        .route("/", get(pages::home))
        .route("/runs", get(pages::runs))
        .route("/runs/{id}", get(pages::run))
        .route("/review", get(review::queue))
        .route("/doc/{run}/{sha}", get(review::document))
        .route("/doc/{run}/{sha}/page/{n}", get(review::page_image))
        .route("/doc/{run}/{sha}/correct", post(review::correct))
        .route("/doc/{run}/{sha}/accept", post(review::accept))
        .route("/alerts", get(pages::alerts))
        .route("/cases", get(pages::cases))
        .route("/cases/{id}", get(pages::case))
        .route("/reports", get(pages::reports))
        .route("/reports/{id}/approve", post(pages::approve))
        .route("/schedules", get(pages::schedules))
        .route("/schedules/{flow}/pause", post(pages::pause_schedule))
        .route("/schedules/{flow}/resume", post(pages::resume_schedule))
        .route("/ledger", get(pages::ledger))
        .route("/evidence/{*path}", get(pages::evidence))
        .route("/users", get(pages::users).post(pages::add_user))
        .route("/users/{name}/unlock", post(pages::unlock))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(app)
}

async fn security_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: header::HeaderName, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'",
    );
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(h, header::CACHE_CONTROL, "no-store");
    r
}

/// Serves until the process is stopped. `ready` receives the bound address (port 0 picks one).
pub async fn serve(
    config: Config,
    ready: Option<tokio::sync::oneshot::Sender<SocketAddr>>,
) -> Result<()> {
    let app = Arc::new(App::new(config.clone())?);
    // Certificate problems stop the server before it listens.
    let acceptor = match &config.tls {
        Some((cert, key)) => Some(tls::acceptor(cert, key)?),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    let addr = listener.local_addr()?;
    if let Some(tx) = ready {
        let _ = tx.send(addr);
    }
    match acceptor {
        Some(a) => tls::serve(listener, a, router(app)).await?,
        None => axum::serve(listener, router(app)).await?,
    }
    Ok(())
}
