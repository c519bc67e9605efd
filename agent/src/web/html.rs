//! Page layout, navigation by role, small form helpers and the one script (keyboard shortcuts of
//! the review page). Everything interpolated into HTML goes through [`esc`].

use super::auth::{Cap, SessionUser};
use axum::http::header;
use axum::response::IntoResponse;

pub use crate::report::esc;

const STYLE: &str = r#"
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1b1b1b}
nav{background:#17324d;padding:.5em 1em;display:flex;gap:1em;align-items:center}
nav a{color:#fff;text-decoration:none}nav .me{margin-left:auto;color:#cfe0f0}
nav form{display:inline}main{padding:1em 1.5em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#eef2f6}.error{color:#a00}.ok{color:#060}.muted{color:#777}
.page{position:relative;display:inline-block;border:1px solid #999}
.box{position:absolute;border:2px solid #e08a00;background:rgba(255,200,0,.15)}
.box.sel{border-color:#d00;background:rgba(255,0,0,.15)}
.doc{display:flex;gap:1.5em;align-items:flex-start}
tr.sel{background:#fff3cd}tr.fail td:first-child{border-left:4px solid #c00}
.login{display:flex;flex-direction:column;gap:.5em;max-width:20em}
"#;

/// A page without navigation (login, errors).
pub fn bare(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>{} · Docket</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        esc(title)
    )
}

/// A page with the navigation the user's role may use.
pub fn page(user: &SessionUser, title: &str, body: &str) -> String {
    let mut nav = String::from("<a href=\"/runs\">Runs</a>");
    let links: [(Cap, &str, &str); 6] = [
        (Cap::ViewReview, "/review", "Review queue"),
        (Cap::ViewAlerts, "/alerts", "Alerts"),
        (Cap::ViewAlerts, "/cases", "Cases"),
        (Cap::ViewAlerts, "/reports", "STR reports"),
        (Cap::ViewSchedules, "/schedules", "Schedules"),
        (Cap::ViewLedger, "/ledger", "Ledger"),
    ];
    for (cap, href, label) in links {
        if user.role.can(cap) {
            nav.push_str(&format!("<a href=\"{href}\">{label}</a>"));
        }
    }
    if user.role.can(Cap::ManageUsers) {
        nav.push_str("<a href=\"/users\">Users</a>");
    }
    nav.push_str(&format!(
        "<span class=me id=me>{} ({})</span>{}",
        esc(&user.name),
        user.role.name(),
        form(user, "/logout", "", "Log out", "logout")
    ));
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>{} · Docket</title><style>{STYLE}</style><script src=\"/static/app.js\" defer></script></head><body><nav>{nav}</nav><main><h1>{}</h1>{body}</main></body></html>",
        esc(title),
        esc(title)
    )
}

/// A POST form with the CSRF token, extra hidden/visible inputs (`inner`, already HTML) and a
/// submit button with `id`.
pub fn form(user: &SessionUser, action: &str, inner: &str, button: &str, id: &str) -> String {
    format!(
        "<form method=post action=\"{}\"><input type=hidden name=csrf value=\"{}\">{inner}<button type=submit id=\"{}\">{}</button></form>",
        esc(action),
        esc(&user.csrf),
        esc(id),
        esc(button)
    )
}

/// Previous/next links for a paged list.
pub fn pager(base: &str, offset: i64, limit: i64, total: i64) -> String {
    let mut s = format!(
        "<p class=muted>{}–{} of {total} ",
        (offset + 1).min(total),
        (offset + limit).min(total)
    );
    if offset > 0 {
        s.push_str(&format!(
            "<a href=\"{base}?offset={}\">previous</a> ",
            (offset - limit).max(0)
        ));
    }
    if offset + limit < total {
        s.push_str(&format!(
            "<a href=\"{base}?offset={}\">next</a>",
            offset + limit
        ));
    }
    s.push_str("</p>");
    s
}

const APP_JS: &str = r#"// Docket review page: j/k or arrows move between fields, Enter edits, a accepts, n next document.
document.addEventListener('keydown', function (e) {
  if (e.target && (e.target.tagName === 'INPUT' || e.target.tagName === 'TEXTAREA')) { return; }
  var rows = Array.prototype.slice.call(document.querySelectorAll('tr[data-field]'));
  var cur = rows.findIndex(function (r) { return r.classList.contains('sel'); });
  function select(i) {
    rows.forEach(function (r) { r.classList.remove('sel'); });
    document.querySelectorAll('.box').forEach(function (b) { b.classList.remove('sel'); });
    if (i < 0 || i >= rows.length) { return; }
    rows[i].classList.add('sel');
    var box = document.getElementById('box-' + rows[i].dataset.field);
    if (box) { box.classList.add('sel'); box.scrollIntoView({block: 'center'}); }
  }
  if (e.key === 'j' || e.key === 'ArrowDown') { select(cur + 1); e.preventDefault(); }
  else if (e.key === 'k' || e.key === 'ArrowUp') { select(Math.max(cur - 1, 0)); e.preventDefault(); }
  else if (e.key === 'Enter' && cur >= 0) { var i = rows[cur].querySelector('input[name=value]'); if (i) { i.focus(); i.select(); e.preventDefault(); } }
  else if (e.key === 'a') { var a = document.getElementById('accept'); if (a) { a.click(); } }
  else if (e.key === 'n') { var n = document.getElementById('next'); if (n) { window.location = n.href; } }
});
"#;

/// GET /static/app.js (no session needed: it holds no data).
pub async fn app_js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        APP_JS,
    )
}
