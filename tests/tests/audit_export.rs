//! The provable ledger end to end: `docket audit verify` detects a forged checkpoint signature, a
//! removed checkpoint and a chain rewritten consistently after the fact (which the hash chain
//! alone cannot see); `docket audit export RUN` writes a bundle whose `verify.sh` (sh, sha256sum,
//! openssl) passes after the bundle is copied elsewhere, and fails on a changed document, a
//! changed manifest, an altered ledger entry (even with a re-signed manifest) and a forged
//! checkpoint signature.

mod common;

use anyhow::{Context, Result};
use common::{docket, out, sqlite_flow};
use docket_core::hash::{sha256_hex, sha256_parts};
use docket_e2e::samples::{self, Flavour, Spec, Statement};
use std::path::{Path, PathBuf};
use std::process::Command;

fn run_once() -> Result<(tempfile::TempDir, String, String)> {
    let dir = tempfile::tempdir()?;
    let flow = sqlite_flow(dir.path(), "audit")?.display().to_string();
    let s = samples::digital_pdf(
        "march.pdf",
        &Statement::generate(&Spec::march_2026(Flavour::English, "USD", 7, 8)),
    )?;
    samples::write_samples(&[s], &dir.path().join("inbox"), None)?;
    let data = dir.path().join("data").display().to_string();
    let o = docket(&["--data-dir", &data, "run", &flow], &[])?;
    assert_eq!(o.status.code(), Some(0), "{}", common::err(&o));
    let run: String = db(&data)?.query_row("SELECT id FROM runs", [], |r| r.get(0))?;
    Ok((dir, data, run))
}

fn db(data: &str) -> Result<rusqlite::Connection> {
    Ok(rusqlite::Connection::open(
        Path::new(data).join("docket.db"),
    )?)
}

fn verify(data: &str) -> Result<(Option<i32>, String)> {
    let o = docket(&["--data-dir", data, "audit", "verify"], &[])?;
    Ok((o.status.code(), format!("{}{}", out(&o), common::err(&o))))
}

#[test]
fn signatures_are_made_and_verified() -> Result<()> {
    let (_d, data, _run) = run_once()?;
    let o = docket(&["--data-dir", &data, "--json", "audit", "verify"], &[])?;
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let v: serde_json::Value = serde_json::from_str(out(&o).trim())?;
    let entries = v["entries"].as_i64().unwrap_or(0);
    assert!(v["signatures"].as_i64().unwrap_or(0) >= 1, "{v}");
    assert_eq!(
        v["signed_through"].as_i64(),
        Some(entries),
        "the run's end is signed: {v}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(Path::new(&data).join("ledger.key"))?
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let pem = std::fs::read_to_string(Path::new(&data).join("ledger.pub.pem"))?;
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    Ok(())
}

#[test]
fn forged_signature_is_detected_and_named() -> Result<()> {
    let (_d, data, _run) = run_once()?;
    let seq: i64 =
        db(&data)?.query_row("SELECT MAX(seq) FROM ledger_signatures", [], |r| r.get(0))?;
    db(&data)?.execute(
        "UPDATE ledger_signatures SET signature = substr('0123456789abcdef', 1 + (unicode(substr(signature,1,1)) % 15), 1) || substr(signature, 2) WHERE seq = ?1",
        [seq],
    )?;
    let (code, text) = verify(&data)?;
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(&format!("entry {seq}")) && text.contains("forged"),
        "{text}"
    );
    assert!(text.contains("DK-E0401"), "{text}");
    Ok(())
}

#[test]
fn rewritten_chain_and_removed_checkpoint_are_detected() -> Result<()> {
    let (_d, data, _run) = run_once()?;
    // A forger edits entry 3 and recomputes every later hash and the head file: the chain holds,
    // but the signed checkpoints no longer match.
    let conn = db(&data)?;
    conn.execute(
        "UPDATE ledger SET payload = replace(payload, '}', ',\"forged\":1}') WHERE seq = 3",
        [],
    )?;
    let rows: Vec<(i64, String, Option<String>, String, String)> = {
        let mut st =
            conn.prepare("SELECT seq, ts, run_id, kind, payload FROM ledger ORDER BY seq")?;
        st.query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<rusqlite::Result<_>>()?
    };
    let mut prev = "0".repeat(64);
    for (seq, ts, run, kind, payload) in &rows {
        let h = sha256_parts(&[
            prev.as_bytes(),
            seq.to_string().as_bytes(),
            ts.as_bytes(),
            run.as_deref().unwrap_or("").as_bytes(),
            kind.as_bytes(),
            payload.as_bytes(),
        ]);
        conn.execute(
            "UPDATE ledger SET prev_hash = ?2, hash = ?3 WHERE seq = ?1",
            rusqlite::params![seq, prev, h],
        )?;
        prev = h;
    }
    std::fs::write(
        Path::new(&data).join("ledger.head"),
        format!("{} {prev}\n", rows.len()),
    )?;
    let first_cp: i64 = conn.query_row(
        "SELECT MIN(seq) FROM ledger_signatures WHERE seq >= 3",
        [],
        |r| r.get(0),
    )?;
    let (code, text) = verify(&data)?;
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(&format!(
            "entry {first_cp} does not match its signed checkpoint"
        )),
        "{text}"
    );

    // Removing a checkpoint between two others is detected by the next one.
    let (_d2, data2, _) = run_once()?;
    let c2 = db(&data2)?;
    let n: i64 = c2.query_row("SELECT COUNT(*) FROM ledger_signatures", [], |r| r.get(0))?;
    if n < 2 {
        // Make a second checkpoint: another run of the same flow (nothing to do, but it ends).
        let flow = Path::new(&data2)
            .parent()
            .context("no parent")?
            .join("flow.yaml");
        let o = docket(
            &["--data-dir", &data2, "run", &flow.display().to_string()],
            &[],
        )?;
        assert_eq!(o.status.code(), Some(0), "{}", common::err(&o));
    }
    let min: i64 = c2.query_row("SELECT MIN(seq) FROM ledger_signatures", [], |r| r.get(0))?;
    c2.execute("DELETE FROM ledger_signatures WHERE seq = ?1", [min])?;
    let (code, text) = verify(&data2)?;
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("checkpoint was removed"), "{text}");
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let dest = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_dir(&e.path(), &dest)?;
        } else {
            std::fs::copy(e.path(), &dest)?;
        }
    }
    Ok(())
}

fn verify_sh(bundle: &Path) -> Result<(Option<i32>, String)> {
    let o = Command::new("sh")
        .arg(bundle.join("verify.sh"))
        .current_dir("/")
        .output()?;
    Ok((o.status.code(), format!("{}{}", out(&o), common::err(&o))))
}

/// Recomputes MANIFEST.sha256 and signs it with the agent's key through openssl, as someone
/// holding the key could: only the ledger's own checks can then catch an altered entry.
fn resign(bundle: &Path, data: &str) -> Result<()> {
    let mut files = Vec::new();
    fn walk(root: &Path, d: &Path, out: &mut Vec<String>) -> Result<()> {
        for e in std::fs::read_dir(d)? {
            let p = e?.path();
            if p.is_dir() {
                walk(root, &p, out)?;
            } else {
                out.push(p.strip_prefix(root)?.to_string_lossy().into_owned());
            }
        }
        Ok(())
    }
    walk(bundle, bundle, &mut files)?;
    files.sort();
    let mut m = String::new();
    for f in files.iter().filter(|f| !f.starts_with("MANIFEST")) {
        m.push_str(&format!(
            "{}  {f}\n",
            sha256_hex(&std::fs::read(bundle.join(f))?)
        ));
    }
    std::fs::write(bundle.join("MANIFEST.sha256"), &m)?;
    let seed = hex::decode(std::fs::read_to_string(Path::new(data).join("ledger.key"))?.trim())?;
    let mut der = hex::decode("302e020100300506032b657004220420")?;
    der.extend_from_slice(&seed);
    let key_der = bundle.parent().context("no parent")?.join("key.der");
    std::fs::write(&key_der, der)?;
    let st = Command::new("openssl")
        .args(["pkeyutl", "-sign", "-keyform", "DER", "-rawin", "-inkey"])
        .arg(&key_der)
        .arg("-in")
        .arg(bundle.join("MANIFEST.sha256"))
        .arg("-out")
        .arg(bundle.join("MANIFEST.sig"))
        .status()?;
    assert!(st.success());
    std::fs::remove_file(key_der)?;
    Ok(())
}

#[test]
fn export_bundle_verifies_elsewhere_and_tampering_fails() -> Result<()> {
    let (dir, data, run) = run_once()?;
    let bundle = dir.path().join("bundle");
    let o = docket(
        &[
            "--data-dir",
            &data,
            "--json",
            "audit",
            "export",
            &run,
            "--output",
            &bundle.display().to_string(),
            "--user",
            "auditor1",
        ],
        &[],
    )?;
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), common::err(&o));
    let summary: serde_json::Value = serde_json::from_str(out(&o).trim())?;
    assert_eq!(summary["documents"], 1, "{summary}");
    let ledger = std::fs::read_to_string(bundle.join("ledger.jsonl"))?;
    assert!(ledger.lines().any(|l| l.contains("\"record_written\"")));
    let audited: i64 = db(&data)?.query_row(
        "SELECT COUNT(*) FROM ledger WHERE kind = 'audit_exported' AND payload LIKE '%auditor1%'",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(audited, 1, "the export itself is ledgered with the user");

    // Copied to another machine (another temp dir, without the data dir) it verifies alone.
    let elsewhere = tempfile::tempdir()?;
    let copy = elsewhere.path().join("b");
    copy_dir(&bundle, &copy)?;
    let (code, text) = verify_sh(&copy)?;
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("OK: bundle verified"), "{text}");

    let tampered = |name: &str| -> Result<PathBuf> {
        let p = elsewhere.path().join(name);
        copy_dir(&bundle, &p)?;
        Ok(p)
    };
    // A document changed.
    let t = tampered("doc")?;
    let doc = std::fs::read_dir(t.join("documents"))?
        .next()
        .context("no document")??
        .path();
    let mut bytes = std::fs::read(&doc)?;
    bytes.push(b'\n');
    std::fs::write(&doc, bytes)?;
    let (code, text) = verify_sh(&t)?;
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("MANIFEST"), "{text}");

    // A ledger entry altered and the manifest recomputed without the key.
    let seq = ledger
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["kind"] == "record_written")
        .and_then(|v| v["seq"].as_i64())
        .context("no record_written")?;
    let t = tampered("entry")?;
    let payload = t.join(format!("chain/{seq}/payload"));
    let p = std::fs::read_to_string(&payload)?.replace("transactions", "transaktions");
    std::fs::write(&payload, p)?;
    let m = std::fs::read_to_string(t.join("MANIFEST.sha256"))?;
    let rel = format!("chain/{seq}/payload");
    let m: String = m
        .lines()
        .map(|l| {
            if l.ends_with(&rel) {
                format!(
                    "{}  {rel}\n",
                    sha256_hex(&std::fs::read(&payload).unwrap_or_default())
                )
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(t.join("MANIFEST.sha256"), m)?;
    let (code, text) = verify_sh(&t)?;
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("MANIFEST.sig does not verify"), "{text}");
    // Even with the manifest re-signed, the chain names the entry.
    resign(&t, &data)?;
    let (code, text) = verify_sh(&t)?;
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(&format!("ledger entry {seq} (record_written) was altered")),
        "{text}"
    );

    // A forged checkpoint signature.
    let t = tampered("sig")?;
    let mut sig = std::fs::read(t.join("checkpoint.sig"))?;
    sig[0] ^= 1;
    std::fs::write(t.join("checkpoint.sig"), sig)?;
    resign(&t, &data)?;
    let (code, text) = verify_sh(&t)?;
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("checkpoint signature does not verify"),
        "{text}"
    );
    Ok(())
}
