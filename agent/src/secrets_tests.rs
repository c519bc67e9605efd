//! Unit tests of the secret store on real files in temporary folders.

use super::*;
use std::os::unix::fs::PermissionsExt;

fn code(e: &anyhow::Error) -> Option<ErrorCode> {
    e.chain()
        .find_map(|c| c.downcast_ref::<Failure>())
        .map(|f| f.code)
}

fn fresh() -> Result<(tempfile::TempDir, SecretStore)> {
    let dir = tempfile::tempdir()?;
    let store = SecretStore::open(dir.path(), &dir.path().join(KEY_FILE))?;
    Ok((dir, store))
}

fn mode(p: &Path) -> Result<u32> {
    Ok(std::fs::metadata(p)?.permissions().mode() & 0o777)
}

#[test]
fn round_trip_and_metadata() -> Result<()> {
    let (dir, mut store) = fresh()?;
    store.set("bank-pw", "s3cret ünïcode", "alice")?;
    store.set("db.url", "postgres://u:p@h/db", "bob")?;
    // A second handle reads what the first wrote.
    let again = SecretStore::open(dir.path(), &dir.path().join(KEY_FILE))?;
    assert_eq!(
        again.get("bank-pw")?.as_deref().map(String::as_str),
        Some("s3cret ünïcode")
    );
    assert_eq!(
        again.get("db.url")?.as_deref().map(String::as_str),
        Some("postgres://u:p@h/db")
    );
    assert!(again.get("absent")?.is_none());
    let names: Vec<_> = again
        .list()
        .into_iter()
        .map(|i| (i.name, i.updated_by, i.length))
        .collect();
    assert_eq!(
        names,
        vec![
            (
                "bank-pw".to_string(),
                "alice".to_string(),
                "s3cret ünïcode".len()
            ),
            ("db.url".to_string(), "bob".to_string(), 19),
        ]
    );
    assert_eq!(mode(&dir.path().join(KEY_FILE))?, 0o600);
    assert_eq!(mode(&dir.path().join(STORE_FILE))?, 0o600);
    let text = std::fs::read_to_string(dir.path().join(STORE_FILE))?;
    assert!(
        !text.contains("s3cret") && !text.contains("u:p@h"),
        "{text}"
    );
    // Overwrite and remove.
    store.set("bank-pw", "new", "carol")?;
    assert_eq!(
        store.get("bank-pw")?.as_deref().map(String::as_str),
        Some("new")
    );
    assert!(store.remove("bank-pw")?);
    assert!(!store.remove("bank-pw")?);
    assert!(store.get("bank-pw")?.is_none());
    Ok(())
}

#[test]
fn ciphertext_moved_to_another_name_does_not_decrypt() -> Result<()> {
    let (dir, mut store) = fresh()?;
    store.set("a", "value-of-a", "u")?;
    store.set("b", "value-of-b", "u")?;
    let path = dir.path().join(STORE_FILE);
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)?;
    v["secrets"]["b"] = v["secrets"]["a"].clone();
    std::fs::write(&path, serde_json::to_vec(&v)?)?;
    let store = SecretStore::open(dir.path(), &dir.path().join(KEY_FILE))?;
    let e = store
        .get("b")
        .err()
        .ok_or_else(|| anyhow::anyhow!("decrypted under b"))?;
    assert_eq!(code(&e), Some(ErrorCode::SecretStoreLocked));
    assert!(!format!("{e:#}").contains("value-of"), "{e:#}");
    assert_eq!(
        store.get("a")?.as_deref().map(String::as_str),
        Some("value-of-a")
    );
    Ok(())
}

#[test]
fn tampered_ciphertext_is_refused() -> Result<()> {
    let (dir, mut store) = fresh()?;
    store.set("a", "value-of-a", "u")?;
    let path = dir.path().join(STORE_FILE);
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)?;
    let mut ct = B64.decode(v["secrets"]["a"]["ciphertext"].as_str().unwrap_or(""))?;
    ct[0] ^= 1;
    v["secrets"]["a"]["ciphertext"] = B64.encode(&ct).into();
    std::fs::write(&path, serde_json::to_vec(&v)?)?;
    let store = SecretStore::open(dir.path(), &dir.path().join(KEY_FILE))?;
    let e = store
        .get("a")
        .err()
        .ok_or_else(|| anyhow::anyhow!("tampering not detected"))?;
    assert_eq!(code(&e), Some(ErrorCode::SecretStoreLocked));
    assert!(format!("{e:#}").contains("altered"), "{e:#}");
    Ok(())
}

#[test]
fn wrong_or_missing_key_is_refused() -> Result<()> {
    let (dir, mut store) = fresh()?;
    store.set("a", "value-of-a", "u")?;
    let key = dir.path().join(KEY_FILE);
    // Another valid key: the key id no longer matches.
    let other = dir.path().join("other.key");
    create_key(&other)?;
    let wrong = SecretStore::open(dir.path(), &other)?;
    let e = wrong
        .get("a")
        .err()
        .ok_or_else(|| anyhow::anyhow!("wrong key accepted"))?;
    assert_eq!(code(&e), Some(ErrorCode::SecretStoreLocked));
    assert!(format!("{e:#}").contains("other.key"), "{e:#}");
    // Setting with the wrong key must not mix two keys in one store.
    let mut wrong = wrong;
    let e = wrong
        .set("b", "x", "u")
        .err()
        .ok_or_else(|| anyhow::anyhow!("mixed keys"))?;
    assert_eq!(code(&e), Some(ErrorCode::SecretStoreLocked));
    // A key with the right id but altered store id is caught by the tag: forge the key id.
    let path = dir.path().join(STORE_FILE);
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)?;
    v["key_id"] = key_id(&read_key(&other)?).into();
    std::fs::write(&path, serde_json::to_vec(&v)?)?;
    let forged = SecretStore::open(dir.path(), &other)?;
    let e = forged
        .get("a")
        .err()
        .ok_or_else(|| anyhow::anyhow!("tag not checked"))?;
    assert_eq!(code(&e), Some(ErrorCode::SecretStoreLocked));
    // The key file deleted: a clear error, and `set` does not silently make a new key.
    std::fs::remove_file(&key)?;
    let mut gone = SecretStore::open(dir.path(), &key)?;
    let e = gone
        .get("a")
        .err()
        .ok_or_else(|| anyhow::anyhow!("no key, yet decrypted"))?;
    assert_eq!(code(&e), Some(ErrorCode::SecretStoreLocked));
    assert!(format!("{e:#}").contains("does not exist"), "{e:#}");
    assert!(gone.set("b", "x", "u").is_err());
    assert!(!key.exists());
    Ok(())
}

#[test]
fn key_file_open_to_others_is_refused() -> Result<()> {
    let (dir, mut store) = fresh()?;
    store.set("a", "value-of-a", "u")?;
    let key = dir.path().join(KEY_FILE);
    for bad in [0o644, 0o640, 0o604, 0o660] {
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(bad))?;
        let e = store
            .get("a")
            .err()
            .ok_or_else(|| anyhow::anyhow!("mode {bad:o} accepted"))?;
        assert_eq!(code(&e), Some(ErrorCode::SecretStoreLocked));
        let msg = format!("{e:#}");
        assert!(
            msg.contains(&format!("chmod 600 {}", key.display())),
            "{msg}"
        );
    }
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o400))?;
    assert!(store.get("a")?.is_some(), "0400 is private enough");
    Ok(())
}

#[test]
fn atomic_write_leaves_only_the_store() -> Result<()> {
    let (dir, mut store) = fresh()?;
    for i in 0..5 {
        store.set(&format!("s{i}"), "v", "u")?;
    }
    store.remove("s0")?;
    let mut names: Vec<String> = std::fs::read_dir(dir.path())?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<std::io::Result<_>>()?;
    names.sort();
    assert_eq!(names, vec![KEY_FILE, STORE_FILE, LOCK_FILE]);
    // Writing into a folder where the rename cannot happen leaves no temporary file behind.
    let target = dir.path().join("sub");
    std::fs::create_dir(&target)?;
    std::fs::create_dir(target.join(STORE_FILE))?;
    std::fs::write(target.join(STORE_FILE).join("x"), "keep the dir non-empty")?;
    assert!(write_atomic(&target.join(STORE_FILE), b"{}").is_err());
    let left: Vec<_> = std::fs::read_dir(&target)?.collect::<std::io::Result<_>>()?;
    assert_eq!(left.len(), 1, "only the blocking folder remains");
    Ok(())
}

#[test]
fn names_values_and_store_format_are_checked() -> Result<()> {
    let (dir, mut store) = fresh()?;
    for bad in ["", "Upper", "-lead", "sp ace", "a/b", "ä"] {
        assert_eq!(
            store.set(bad, "v", "u").err().as_ref().and_then(code),
            Some(ErrorCode::BadUsage),
            "{bad:?}"
        );
    }
    for good in ["a", "0x", "bank-pw_2.prod"] {
        assert!(is_valid_name(good), "{good}");
    }
    assert_eq!(
        store.set("a", "", "u").err().as_ref().and_then(code),
        Some(ErrorCode::BadUsage)
    );
    assert_eq!(env_var("bank-pw.prod"), "DOCKET_SECRET_BANK_PW_PROD");
    std::fs::write(dir.path().join(STORE_FILE), "not json")?;
    let e = SecretStore::open(dir.path(), &dir.path().join(KEY_FILE))
        .err()
        .ok_or_else(|| anyhow::anyhow!("garbage accepted"))?;
    assert_eq!(code(&e), Some(ErrorCode::SecretStoreLocked));
    Ok(())
}
