//! `docket serve` security over real HTTP on loopback: every route of the binary's own table
//! refuses a request without a session (GET → 303 to /login, POST → 401); POSTs without the
//! session's CSRF token are refused; roles cannot reach each other's actions; the preparer of an
//! STR cannot approve it and a second officer can (the approval is signed in the ledger); evidence
//! URLs cannot leave the evidence folder; five wrong passwords lock an account; cookies are
//! HttpOnly, Secure and SameSite=Strict; a correction and an acceptance are ledgered with the
//! user and release the held outbox rows.

mod common;
mod dashboard_fixture;

use anyhow::{Context, Result};
use dashboard_fixture::{PASSWORD, fixture, routes, serve};
use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use std::path::Path;

fn client() -> Result<Client> {
    Ok(Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(120))
        .build()?)
}

fn cookie_of(r: &Response, name: &str) -> Option<(String, String)> {
    r.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| {
            let value = v
                .split(';')
                .next()
                .unwrap_or("")
                .split_once('=')
                .map(|x| x.1)
                .unwrap_or("");
            (value.to_string(), v.to_string())
        })
}

fn csrf_in(html: &str) -> Option<String> {
    let i = html.find("name=csrf value=\"")? + "name=csrf value=\"".len();
    Some(html[i..].split('"').next()?.to_string())
}

/// A logged-in user: session cookie and CSRF token.
struct Login {
    cookie: String,
    csrf: String,
}

fn try_login(c: &Client, base: &str, name: &str, password: &str) -> Result<Response> {
    let page = c.get(format!("{base}/login")).send()?;
    let (lc, _) = cookie_of(&page, "docket_login_csrf").context("no login csrf cookie")?;
    let token = csrf_in(&page.text()?).context("no csrf in the login form")?;
    Ok(c.post(format!("{base}/login"))
        .header("Cookie", format!("docket_login_csrf={lc}"))
        .form(&[("name", name), ("password", password), ("csrf", &token)])
        .send()?)
}

fn login(c: &Client, base: &str, name: &str) -> Result<Login> {
    let r = try_login(c, base, name, PASSWORD)?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (cookie, raw) = cookie_of(&r, "docket_session").context("no session cookie")?;
    for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(raw.contains(flag), "{flag} missing in {raw}");
    }
    let page = c
        .get(format!("{base}/runs"))
        .header("Cookie", format!("docket_session={cookie}"))
        .send()?;
    let csrf = csrf_in(&page.text()?).context("no csrf on /runs")?;
    Ok(Login { cookie, csrf })
}

fn get(c: &Client, base: &str, who: &Login, path: &str) -> Result<Response> {
    Ok(c.get(format!("{base}{path}"))
        .header("Cookie", format!("docket_session={}", who.cookie))
        .send()?)
}

fn post(
    c: &Client,
    base: &str,
    who: &Login,
    path: &str,
    form: &[(&str, &str)],
    csrf: Option<&str>,
) -> Result<Response> {
    let mut f: Vec<(&str, &str)> = form.to_vec();
    if let Some(t) = csrf {
        f.push(("csrf", t));
    }
    Ok(c.post(format!("{base}{path}"))
        .header("Cookie", format!("docket_session={}", who.cookie))
        .form(&f)
        .send()?)
}

fn ledger(data: &str, kind: &str) -> Result<Vec<serde_json::Value>> {
    let conn = rusqlite::Connection::open(Path::new(data).join("docket.db"))?;
    let mut stmt = conn.prepare("SELECT payload FROM ledger WHERE kind = ?1 ORDER BY seq")?;
    let rows: Vec<String> = stmt
        .query_map([kind], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows
        .iter()
        .filter_map(|p| serde_json::from_str(p).ok())
        .collect())
}

#[test]
fn dashboard_security() -> Result<()> {
    let fx = fixture()?;
    let srv = serve(&fx.data)?;
    let (c, base) = (client()?, srv.base.clone());

    // 1. Every route refuses a request without a session.
    let table = routes()?;
    assert!(table.len() >= 15, "{table:?}");
    for (method, pattern) in &table {
        let path = pattern
            .replace("{*path}", "run1/step.txt")
            .replace("{run}", &fx.run)
            .replace("{sha}", &fx.sha)
            .replace("{n}", "1")
            .replace("{id}", "x")
            .replace("{name}", "oper");
        let r = if method == "GET" {
            c.get(format!("{base}{path}")).send()?
        } else {
            c.post(format!("{base}{path}"))
                .form(&[("csrf", "x")])
                .send()?
        };
        if method == "GET" {
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "GET {path}");
            assert_eq!(
                r.headers().get("location").and_then(|v| v.to_str().ok()),
                Some("/login"),
                "GET {path}"
            );
        } else {
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "POST {path}");
        }
    }
    // A forged session cookie is no session.
    let r = c
        .get(format!("{base}/runs"))
        .header("Cookie", "docket_session=00ff")
        .send()?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // 2. CSRF: login without the double-submit cookie, and POSTs without or with a wrong token.
    let r = c
        .post(format!("{base}/login"))
        .form(&[("name", "oper"), ("password", PASSWORD), ("csrf", "abc")])
        .send()?;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let oper = login(&c, &base, "oper")?;
    let accept = format!("/doc/{}/{}/accept", fx.run, fx.sha);
    assert_eq!(
        post(&c, &base, &oper, &accept, &[], None)?.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(&c, &base, &oper, &accept, &[], Some("0123"))?.status(),
        StatusCode::FORBIDDEN
    );
    let alice = login(&c, &base, "alice")?;
    // Another user's token is not this session's token.
    assert_eq!(
        post(&c, &base, &oper, &accept, &[], Some(&alice.csrf))?.status(),
        StatusCode::FORBIDDEN
    );

    // 3. Roles.
    let audrey = login(&c, &base, "audrey")?;
    let root = login(&c, &base, "root")?;
    let correct = format!("/doc/{}/{}/correct", fx.run, fx.sha);
    let field = [("field", "records[2].amount"), ("value", "1.00")];
    assert_eq!(
        post(&c, &base, &audrey, &correct, &field, Some(&audrey.csrf))?.status(),
        StatusCode::FORBIDDEN,
        "auditor cannot edit"
    );
    assert_eq!(
        post(&c, &base, &audrey, &accept, &[], Some(&audrey.csrf))?.status(),
        StatusCode::FORBIDDEN
    );
    let approve = format!("/reports/{}/approve", fx.report);
    assert_eq!(
        post(&c, &base, &audrey, &approve, &[], Some(&audrey.csrf))?.status(),
        StatusCode::FORBIDDEN,
        "auditor cannot approve"
    );
    assert_eq!(
        post(&c, &base, &root, &approve, &[], Some(&root.csrf))?.status(),
        StatusCode::FORBIDDEN,
        "admin cannot approve"
    );
    assert_eq!(
        post(&c, &base, &oper, &approve, &[], Some(&oper.csrf))?.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&c, &base, &oper, "/alerts")?.status(),
        StatusCode::FORBIDDEN,
        "operator sees no alerts"
    );
    assert_eq!(
        get(&c, &base, &alice, "/users")?.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(
            &c,
            &base,
            &alice,
            "/users",
            &[("name", "eve"), ("role", "admin"), ("password", PASSWORD)],
            Some(&alice.csrf)
        )?
        .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&c, &base, &alice, &format!("/doc/{}/{}", fx.run, fx.sha))?.status(),
        StatusCode::FORBIDDEN
    );
    let page = get(&c, &base, &audrey, &format!("/doc/{}/{}", fx.run, fx.sha))?.text()?;
    assert!(
        !page.contains("name=value"),
        "the auditor's document page has no edit fields"
    );
    for (who, path) in [
        (&audrey, "/runs"),
        (&audrey, "/alerts"),
        (&audrey, "/ledger"),
        (&alice, "/reports"),
        (&alice, "/cases/C-MULE"),
        (&root, "/users"),
        (&oper, "/review"),
    ] {
        assert_eq!(
            get(&c, &base, who, path)?.status(),
            StatusCode::OK,
            "{path}"
        );
    }

    // 4. Four eyes: alice prepared the draft and cannot approve it; bob can; the approval is signed.
    let r = post(&c, &base, &alice, &approve, &[], Some(&alice.csrf))?;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text()?.contains("DK-E0704"));
    let bob = login(&c, &base, "bob")?;
    assert_eq!(
        post(&c, &base, &bob, &approve, &[], Some(&bob.csrf))?.status(),
        StatusCode::SEE_OTHER
    );
    let approved = ledger(&fx.data, "str_approved")?;
    assert_eq!(approved.len(), 1);
    assert_eq!(approved[0]["user"], "bob");
    assert_eq!(approved[0]["signature"].as_str().map(str::len), Some(128));

    // 5. Evidence: inside is served, anything leaving the folder is refused.
    let r = get(&c, &base, &audrey, "/evidence/run1/step.txt")?;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text()?, "step 1 ok");
    for evil in [
        "/evidence/%2e%2e/outside.txt",
        "/evidence/run1/%2e%2e/%2e%2e/outside.txt",
        "/evidence/..%2foutside.txt",
        "/evidence/%2fetc%2fpasswd",
        "/evidence/run1%5c..%5c..%5coutside.txt",
        "/evidence/%2e%2e%2f%2e%2e%2fdocket.db",
    ] {
        let r = get(&c, &base, &audrey, evil)?;
        assert!(
            r.status() == StatusCode::BAD_REQUEST || r.status() == StatusCode::NOT_FOUND,
            "{evil}: {}",
            r.status()
        );
        assert!(!r.text()?.contains("NOT FOR THE WEB"), "{evil}");
    }

    // 6. Review: a correction and an acceptance, ledgered with the user; held rows released.
    let r = post(&c, &base, &oper, &correct, &field, Some(&oper.csrf))?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let corrected = ledger(&fx.data, "review_corrected")?;
    assert_eq!(corrected.len(), 1);
    assert_eq!(corrected[0]["user"], "oper");
    assert_eq!(corrected[0]["field"], "records[2].amount");
    assert!(
        !corrected[0].to_string().contains("1.00"),
        "values are not in the ledger, only their hashes"
    );
    let conn = rusqlite::Connection::open(Path::new(&fx.data).join("docket.db"))?;
    let held: i64 = conn.query_row(
        "SELECT COUNT(*) FROM outbox WHERE doc_sha256 = ?1 AND status = 'held'",
        [&fx.sha],
        |r| r.get(0),
    )?;
    assert!(held > 0);
    let payload: String = conn.query_row(
        "SELECT payload FROM outbox WHERE doc_sha256 = ?1 ORDER BY rowid LIMIT 1 OFFSET 2",
        [&fx.sha],
        |r| r.get(0),
    )?;
    assert!(
        payload.contains("\"1.00\""),
        "the held row carries the corrected amount: {payload}"
    );
    assert_eq!(
        post(&c, &base, &oper, &accept, &[], Some(&oper.csrf))?.status(),
        StatusCode::SEE_OTHER
    );
    let released: i64 = conn.query_row(
        "SELECT COUNT(*) FROM outbox WHERE doc_sha256 = ?1 AND status = 'pending'",
        [&fx.sha],
        |r| r.get(0),
    )?;
    assert_eq!(released, held);
    let acc = ledger(&fx.data, "review_accepted")?;
    assert_eq!(acc[0]["user"], "oper");
    assert_eq!(acc[0]["released"], held);
    let page = get(&c, &base, &audrey, &format!("/doc/{}/{}", fx.run, fx.sha))?.text()?;
    assert!(
        page.contains("corrected by oper"),
        "provenance shows the reviewer"
    );
    // The next run of the flow delivers the released records, with the correction, once.
    let flow = fx.dir.path().join("flow.yaml").display().to_string();
    let backoffice = fx.dir.path().join("backoffice.db");
    assert!(
        common::backoffice_rows(&backoffice)
            .map(|r| r.is_empty())
            .unwrap_or(true)
    );
    let o = common::docket(&["--data-dir", &fx.data, "--json", "run", &flow], &[])?;
    assert_eq!(o.status.code(), Some(0), "{}", common::err(&o));
    let outcome: serde_json::Value = serde_json::from_str(common::out(&o).trim())?;
    assert_eq!(outcome["released"], 1, "{outcome}");
    let rows = common::backoffice_rows(&backoffice)?;
    assert_eq!(rows.len() as i64, held, "every released record written");
    assert_eq!(
        rows[2].1, "1.00",
        "the corrected amount reached the back office"
    );
    let o = common::docket(&["--data-dir", &fx.data, "--json", "run", &flow], &[])?;
    let again: serde_json::Value = serde_json::from_str(common::out(&o).trim())?;
    assert_eq!(again["released"], 0);
    assert_eq!(common::backoffice_rows(&backoffice)?.len() as i64, held);

    // 7. Lockout after five failures, even for the right password afterwards.
    for _ in 0..5 {
        let r = try_login(&c, &base, "audrey", "wrong password")?;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let r = try_login(&c, &base, "audrey", PASSWORD)?;
    assert_eq!(
        r.headers().get("location").and_then(|v| v.to_str().ok()),
        Some("/login?error=locked")
    );
    assert!(cookie_of(&r, "docket_session").is_none());
    assert_eq!(
        get(&c, &base, &audrey, "/runs")?.status(),
        StatusCode::SEE_OTHER,
        "a locked user's session ends"
    );
    assert_eq!(ledger(&fx.data, "user_locked")?.len(), 1);
    assert!(
        !std::fs::read_to_string(Path::new(&fx.data).join("docket.db"))
            .unwrap_or_default()
            .contains(PASSWORD)
    );

    // 8. Logins are ledgered, and the ledger still verifies.
    assert!(
        ledger(&fx.data, "login")?
            .iter()
            .any(|v| v["user"] == "bob")
    );
    let o = common::docket(&["--data-dir", &fx.data, "audit", "verify"], &[])?;
    assert_eq!(o.status.code(), Some(0), "{}", common::out(&o));
    Ok(())
}
