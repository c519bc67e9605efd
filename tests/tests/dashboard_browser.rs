//! The review desk in real headless Chromium, driven through WebDriver (chromedriver) from Rust:
//! an operator logs in, opens the review queue and a held document (page image with boxes),
//! corrects a value and accepts with the `a` shortcut; the preparer of an STR cannot approve it;
//! a second compliance officer approves it; an auditor sees no edit fields. Screenshots of each
//! key page are saved under `target/dashboard-artifacts/`.
//!
//! Part of the default suite (about 15 s): `installer/install.sh --test` installs the Debian
//! packages `chromium` and `chromium-driver`.

mod common;
mod dashboard_fixture;

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use dashboard_fixture::{PASSWORD, artifacts, fixture, serve};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process and one browser session, both ended when dropped.
struct Browser {
    driver: Child,
    http: reqwest::blocking::Client,
    url: String,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.http.delete(&self.url).send();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    fn start() -> Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("chromedriver is not installed (apt-get install chromium chromium-driver)")?;
        let http = reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(120))
            .build()?;
        let base = format!("http://127.0.0.1:{port}");
        let mut last = String::new();
        for _ in 0..100 {
            match http.get(format!("{base}/status")).send() {
                Ok(r) if r.status().is_success() => break,
                Ok(r) => last = r.status().to_string(),
                Err(e) => last = e.to_string(),
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1100"]}}}});
        let r: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()?
            .json()?;
        let id = r["value"]["sessionId"]
            .as_str()
            .with_context(|| format!("no WebDriver session ({last}): {r}"))?;
        Ok(Self {
            url: format!("{base}/session/{id}"),
            driver,
            http,
        })
    }

    fn cmd(&self, method: &str, path: &str, body: Value) -> Result<Value> {
        let url = format!("{}{path}", self.url);
        let r = match method {
            "GET" => self.http.get(url).send()?,
            _ => self.http.post(url).json(&body).send()?,
        };
        let v: Value = r.json()?;
        if v["value"]["error"].is_string() {
            bail!("WebDriver {path}: {}", v["value"]);
        }
        Ok(v["value"].clone())
    }

    fn go(&self, url: &str) -> Result<()> {
        self.cmd("POST", "/url", json!({"url": url})).map(|_| ())
    }

    fn find(&self, css: &str) -> Result<String> {
        let v = self.cmd(
            "POST",
            "/element",
            json!({"using": "css selector", "value": css}),
        )?;
        Ok(v[ELEMENT]
            .as_str()
            .with_context(|| format!("no element {css}: {v}"))?
            .to_string())
    }

    fn count(&self, css: &str) -> Result<usize> {
        let v = self.cmd(
            "POST",
            "/elements",
            json!({"using": "css selector", "value": css}),
        )?;
        Ok(v.as_array().map(Vec::len).unwrap_or(0))
    }

    /// Waits (generous upper bound, not a timing assertion) until `css` matches.
    fn wait_for(&self, css: &str) -> Result<()> {
        for _ in 0..150 {
            if self.count(css)? > 0 {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        bail!("{css} never appeared: {}", self.source()?)
    }

    /// Waits (generous upper bound) until the page's text contains `text`.
    fn wait_text(&self, text: &str) -> Result<()> {
        for _ in 0..150 {
            let t = self.script("return document.body ? document.body.innerText : '';")?;
            if t.as_str().is_some_and(|t| t.contains(text)) {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        bail!("'{text}' never appeared: {}", self.source()?)
    }

    fn click(&self, css: &str) -> Result<()> {
        let e = self.find(css)?;
        self.cmd("POST", &format!("/element/{e}/click"), json!({}))
            .map(|_| ())
    }

    fn type_into(&self, css: &str, text: &str) -> Result<()> {
        let e = self.find(css)?;
        self.cmd("POST", &format!("/element/{e}/clear"), json!({}))?;
        self.cmd(
            "POST",
            &format!("/element/{e}/value"),
            json!({"text": text}),
        )
        .map(|_| ())
    }

    fn text(&self, css: &str) -> Result<String> {
        let e = self.find(css)?;
        Ok(self
            .cmd("GET", &format!("/element/{e}/text"), json!({}))?
            .as_str()
            .unwrap_or("")
            .to_string())
    }

    fn source(&self) -> Result<String> {
        Ok(self
            .cmd("GET", "/source", json!({}))?
            .as_str()
            .unwrap_or("")
            .to_string())
    }

    fn script(&self, js: &str) -> Result<Value> {
        self.cmd("POST", "/execute/sync", json!({"script": js, "args": []}))
    }

    fn screenshot(&self, name: &str) -> Result<()> {
        let b64 = self.cmd("GET", "/screenshot", json!({}))?;
        let png = base64::engine::general_purpose::STANDARD.decode(b64.as_str().unwrap_or(""))?;
        std::fs::write(artifacts()?.join(name), png)?;
        Ok(())
    }

    fn login(&self, base: &str, name: &str) -> Result<()> {
        self.go(&format!("{base}/login"))?;
        self.type_into("#name", name)?;
        self.type_into("#password", PASSWORD)?;
        self.click("#login")?;
        self.wait_for("#me, .error")?;
        if self.count("#me")? == 1 && self.text("#me")?.starts_with(name) {
            return Ok(());
        }
        let url = self.cmd("GET", "/url", json!({}))?;
        bail!("{name} is not logged in at {url}: {}", self.source()?)
    }

    fn logout(&self) -> Result<()> {
        self.click("#logout")
    }
}

#[test]
fn review_desk_in_headless_chromium() -> Result<()> {
    let fx = fixture()?;
    let srv = serve(&fx.data)?;
    let base = srv.base.clone();
    let b = Browser::start()?;

    // An operator: review queue → document with page image and boxes → correct → accept (key a).
    b.login(&base, "oper")?;
    assert!(
        b.count("#queue a.doc-link")? >= 1,
        "the held document is queued"
    );
    b.screenshot("review-queue.png")?;
    b.click("#queue a.doc-link")?;
    b.wait_for("#fields")?;
    let loaded = b.script(
        "var i = document.getElementById('page'); return i && i.complete && i.naturalWidth;",
    )?;
    assert!(
        loaded.as_u64().unwrap_or(0) > 100,
        "the page image was rendered: {loaded}"
    );
    assert!(b.count(".box")? > 5, "field boxes are drawn on the page");
    b.screenshot("document.png")?;
    let row = "tr[data-field=\"records[2].amount\"]";
    b.type_into(&format!("{row} input[name=value]"), "1.00")?;
    b.click(&format!("{row} button"))?;
    b.wait_text("corrected by oper")?;
    assert!(
        b.text(row)?.contains("corrected by oper"),
        "{}",
        b.text(row)?
    );
    b.screenshot("corrected.png")?;
    let body = b.find("body")?;
    b.cmd(
        "POST",
        &format!("/element/{body}/value"),
        json!({"text": "a"}),
    )?;
    for _ in 0..50 {
        if b.count("#doc-status")? == 1 && b.text("#doc-status")? == "extracted" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(
        b.text("#doc-status")?,
        "extracted",
        "accepted with the `a` shortcut"
    );
    b.logout()?;

    // The preparer cannot approve their own draft.
    b.login(&base, "alice")?;
    b.go(&format!("{base}/reports"))?;
    b.click(&format!("#approve-{}", fx.report))?;
    b.wait_for(".error")?;
    let page = b.source()?;
    assert!(page.contains("DK-E0704"), "{page}");
    b.screenshot("four-eyes-refused.png")?;
    b.go(&format!("{base}/reports"))?;
    b.logout()?;

    // A second officer approves.
    b.login(&base, "bob")?;
    b.go(&format!("{base}/reports"))?;
    b.click(&format!("#approve-{}", fx.report))?;
    b.wait_for(&format!("#row-{} .state", fx.report))?;
    assert_eq!(b.text(&format!("#row-{} .state", fx.report))?, "approved");
    b.screenshot("approved.png")?;
    b.go(&format!("{base}/cases/C-MULE"))?;
    assert!(
        b.count("#graph circle")? >= 2,
        "the counterparty graph is drawn"
    );
    b.screenshot("case.png")?;
    b.logout()?;

    // An auditor reads but cannot edit; the ledger verifies from the page.
    b.login(&base, "audrey")?;
    b.go(&format!("{base}/doc/{}/{}", fx.run, fx.sha))?;
    assert_eq!(
        b.count("input[name=value]")?,
        0,
        "no edit fields for an auditor"
    );
    assert_eq!(b.count("#accept")?, 0);
    b.screenshot("auditor-document.png")?;
    b.go(&format!("{base}/ledger?verify=1"))?;
    assert!(
        b.text("#verdict")?.starts_with("Ledger verified"),
        "{}",
        b.text("#verdict")?
    );
    b.screenshot("ledger.png")?;
    Ok(())
}
