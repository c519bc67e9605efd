//! `docket serve --tls-cert --tls-key`: the dashboard over HTTPS with a certificate made by the
//! `openssl` CLI. A client that trusts the certificate gets the login page; plain HTTP to the
//! same port gets no page; a key that does not match the certificate stops the server before
//! it listens, naming both files.

mod common;

use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

/// A test CA and a server certificate for 127.0.0.1 signed by it (webpki refuses a self-signed
/// CA certificate used directly by a server): `NAME-ca.pem`, `NAME-cert.pem`, `NAME-key.pem`.
fn self_signed(dir: &Path, name: &str) -> Result<()> {
    let p = |f: &str| dir.join(format!("{name}-{f}")).display().to_string();
    let ext = dir.join(format!("{name}-ext.cnf"));
    std::fs::write(
        &ext,
        "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )?;
    let steps: [Vec<String>; 3] = [
        [
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=Docket test CA",
            "-keyout",
            &p("ca-key.pem"),
            "-out",
            &p("ca.pem"),
        ]
        .map(String::from)
        .to_vec(),
        [
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            &p("key.pem"),
            "-out",
            &p("csr.pem"),
        ]
        .map(String::from)
        .to_vec(),
        [
            "x509",
            "-req",
            "-in",
            &p("csr.pem"),
            "-CA",
            &p("ca.pem"),
            "-CAkey",
            &p("ca-key.pem"),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &ext.display().to_string(),
            "-out",
            &p("cert.pem"),
        ]
        .map(String::from)
        .to_vec(),
    ];
    for args in steps {
        let st = Command::new("openssl")
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .context("openssl is needed to make a test certificate (Debian package openssl)")?;
        if !st.success() {
            bail!("openssl {} failed", args[0]);
        }
    }
    Ok(())
}

#[test]
fn the_dashboard_serves_https_with_a_configured_certificate() -> Result<()> {
    let dir = tempfile::tempdir()?;
    self_signed(dir.path(), "a")?;
    self_signed(dir.path(), "b")?;
    let data = dir.path().join("data").display().to_string();
    let cert = dir.path().join("a-cert.pem");
    let key = dir.path().join("a-key.pem");

    let mut child = Command::new(common::docket_bin())
        .args([
            "--data-dir",
            &data,
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--tls-cert",
        ])
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut line)?;
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("https://"))
        .map(|w| w.trim_end_matches('/').to_string());
    let Some(base) = base else {
        let _ = child.kill();
        bail!("docket serve did not print an https address: {line}");
    };
    let result = (|| -> Result<()> {
        let client = reqwest::blocking::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&std::fs::read(
                dir.path().join("a-ca.pem"),
            )?)?)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let r = client.get(format!("{base}/login")).send()?;
        assert_eq!(r.status(), reqwest::StatusCode::OK);
        assert!(r.text()?.contains("<form"), "the login page");
        // Plain HTTP to the TLS port gets no page.
        let plain = base.replace("https://", "http://");
        let p = reqwest::blocking::Client::new()
            .get(format!("{plain}/login"))
            .timeout(std::time::Duration::from_secs(5))
            .send();
        assert!(
            p.map(|r| !r.status().is_success()).unwrap_or(true),
            "plain HTTP must not be served on the TLS port"
        );
        // A client that does not trust the certificate refuses it.
        let untrusting = reqwest::blocking::Client::builder()
            .tls_built_in_root_certs(false)
            .build()?;
        assert!(untrusting.get(format!("{base}/login")).send().is_err());
        Ok(())
    })();
    let _ = child.kill();
    let _ = child.wait();
    result?;

    // The key of another certificate: refused before listening, naming both files.
    let o = common::docket(
        &[
            "--data-dir",
            &data,
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--tls-cert",
            &cert.display().to_string(),
            "--tls-key",
            &dir.path().join("b-key.pem").display().to_string(),
        ],
        &[],
    )?;
    assert!(!o.status.success());
    let e = common::err(&o);
    assert!(e.contains("a-cert.pem") && e.contains("b-key.pem"), "{e}");
    Ok(())
}
