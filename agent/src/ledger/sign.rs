//! Ed25519 checkpoints over the ledger. The hash chain proves that entries were not edited,
//! removed or reordered *relative to each other*; a signature over `(seq, hash)` made with a key
//! only the agent holds proves that the chain up to `seq` is the one the agent wrote, so that
//! rewriting the whole chain (and the head file) after the fact is detected too.
//!
//! Checkpoints are made by [`super::write_head`]: after every [`SIGN_EVERY`] unsigned entries and
//! whenever the newest entry closes something (a run, an approval, a review). Each signed message
//! names the previous checkpoint, so deleting a checkpoint row is detected as well.
//!
//! The key is 32 random bytes (hex) in `<data_dir>/ledger.key` (0600; `DOCKET_LEDGER_KEY_FILE`
//! moves it); the public key is written beside it as `ledger.pub.pem` (SubjectPublicKeyInfo PEM,
//! which `openssl pkeyutl -verify` reads), so an auditor can verify without the private key.

use crate::store::{Store, now};
use anyhow::{Context, Result, bail};
use base64::Engine;
use docket_core::hash::sha256_hex;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use rusqlite::{OptionalExtension, params};
use std::path::{Path, PathBuf};
use zeroize::Zeroize;

/// A checkpoint is signed once this many entries are unsigned.
pub const SIGN_EVERY: i64 = 100;

/// Entry kinds that close something: a checkpoint is signed right after them.
const CLOSING: &[&str] = &[
    "run_finished",
    "str_approved",
    "str_filed",
    "str_signed",
    "alert_closed",
    "tick_finished",
    "agent_stopped",
    "review_accepted",
    "review_corrected",
    "user_added",
];

/// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the 32 key bytes follow.
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// The exact bytes signed for the checkpoint at `seq` (also rebuilt by the export's verify.sh).
pub fn message(seq: i64, hash: &str, prev_seq: i64) -> String {
    format!("docket-ledger-v1 seq={seq} hash={hash} prev={prev_seq}\n")
}

/// Where the private key lives: `DOCKET_LEDGER_KEY_FILE`, else `<data_dir>/ledger.key`.
pub fn key_path(data_dir: &Path) -> PathBuf {
    std::env::var_os("DOCKET_LEDGER_KEY_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| data_dir.join("ledger.key"))
}

/// Where the public key is published: `<data_dir>/ledger.pub.pem`.
pub fn public_path(data_dir: &Path) -> PathBuf {
    data_dir.join("ledger.pub.pem")
}

/// The agent's ledger key.
pub struct LedgerKey {
    signing: SigningKey,
}

impl std::fmt::Debug for LedgerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LedgerKey({})", fingerprint(&self.verifying()))
    }
}

impl LedgerKey {
    /// Loads the key, or `None` when none was created yet. A key file readable by others is
    /// refused: whoever can read it can forge checkpoints.
    pub fn load(data_dir: &Path) -> Result<Option<Self>> {
        let path = key_path(data_dir);
        let mut text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)?.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                text.zeroize();
                bail!(
                    "the ledger key {} has mode {mode:o}; it must be 0600 (chmod 600 it)",
                    path.display()
                );
            }
        }
        let mut bytes = [0u8; 32];
        let decoded = hex::decode_to_slice(text.trim(), &mut bytes);
        text.zeroize();
        if decoded.is_err() {
            bail!(
                "the ledger key {} is not 64 hex digits: restore it from backup",
                path.display()
            );
        }
        let signing = SigningKey::from_bytes(&bytes);
        bytes.zeroize();
        Ok(Some(Self { signing }))
    }

    /// Loads the key or creates it (0600, atomically: two processes racing end with one key)
    /// and publishes the public key next to the store.
    pub fn load_or_create(data_dir: &Path) -> Result<Self> {
        if let Some(k) = Self::load(data_dir)? {
            return Ok(k);
        }
        let path = key_path(data_dir);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let signing = SigningKey::generate(&mut rand_core::OsRng);
        let tmp = path.with_extension(format!("key.tmp.{}", std::process::id()));
        {
            use std::io::Write;
            let mut o = std::fs::OpenOptions::new();
            o.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                o.mode(0o600);
            }
            let mut f = o
                .open(&tmp)
                .with_context(|| format!("cannot create {}", tmp.display()))?;
            let mut hexed = hex::encode(signing.to_bytes());
            let written = writeln!(f, "{hexed}").and_then(|_| f.sync_all());
            hexed.zeroize();
            written?;
        }
        // hard_link fails when another process created the key first: then use theirs.
        let linked = std::fs::hard_link(&tmp, &path);
        let _ = std::fs::remove_file(&tmp);
        let key = match linked {
            Ok(()) => Self { signing },
            Err(_) => Self::load(data_dir)?
                .with_context(|| format!("cannot create the ledger key {}", path.display()))?,
        };
        let pem = public_pem(&key.verifying());
        let pub_path = public_path(data_dir);
        if std::fs::read_to_string(&pub_path).ok().as_deref() != Some(pem.as_str()) {
            crate::runner::atomic_write(&pub_path, pem.as_bytes())?;
        }
        Ok(key)
    }

    /// The public half.
    pub fn verifying(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    /// Signs `msg`; the signature as hex.
    pub fn sign_hex(&self, msg: &[u8]) -> String {
        hex::encode(self.signing.sign(msg).to_bytes())
    }
}

/// The public key as SubjectPublicKeyInfo PEM.
pub fn public_pem(vk: &VerifyingKey) -> String {
    let mut der = SPKI_PREFIX.to_vec();
    der.extend_from_slice(vk.as_bytes());
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    format!("-----BEGIN PUBLIC KEY-----\n{b64}\n-----END PUBLIC KEY-----\n")
}

/// Reads a public key written by [`public_pem`].
pub fn parse_public_pem(pem: &str) -> Result<VerifyingKey> {
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .context("the public key PEM is not base64")?;
    if der.len() != 44 || der[..12] != SPKI_PREFIX {
        bail!("the public key PEM is not an Ed25519 SubjectPublicKeyInfo");
    }
    let mut raw = [0u8; 32];
    raw.copy_from_slice(&der[12..]);
    VerifyingKey::from_bytes(&raw).context("the public key is not a valid Ed25519 point")
}

/// A short, stable name of a public key: the first 16 hex digits of SHA-256 of its bytes.
pub fn fingerprint(vk: &VerifyingKey) -> String {
    sha256_hex(vk.as_bytes())[..16].to_string()
}

/// The key signatures are checked against: the private key's public half when it is here, else
/// the published `ledger.pub.pem`; `None` when neither exists (an unsigned, older store).
pub fn trusted_key(data_dir: &Path) -> Result<Option<VerifyingKey>> {
    if let Some(k) = LedgerKey::load(data_dir)? {
        return Ok(Some(k.verifying()));
    }
    match std::fs::read_to_string(public_path(data_dir)) {
        Ok(pem) => Ok(Some(parse_public_pem(&pem)?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn last_checkpoint(conn: &rusqlite::Connection) -> Result<i64> {
    Ok(conn
        .query_row("SELECT MAX(seq) FROM ledger_signatures", [], |r| {
            r.get::<_, Option<i64>>(0)
        })?
        .unwrap_or(0))
}

/// Signs a checkpoint at the head when it is due (see the module doc). Called after commits.
pub fn maybe_sign(store: &Store, head_seq: i64, head_kind: &str) -> Result<()> {
    let last = last_checkpoint(store.conn())?;
    if head_seq <= last {
        return Ok(());
    }
    if head_seq - last < SIGN_EVERY && !CLOSING.contains(&head_kind) {
        return Ok(());
    }
    sign_head(store)?;
    Ok(())
}

/// Signs a checkpoint at the current head unless it is already signed; returns the signed seq.
pub fn sign_head(store: &Store) -> Result<Option<i64>> {
    let data_dir = store.path().parent().unwrap_or(Path::new("."));
    let key = LedgerKey::load_or_create(data_dir)?;
    let conn = store.conn();
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = (|| -> Result<Option<i64>> {
        let head: Option<(i64, String)> = conn
            .query_row(
                "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((seq, hash)) = head else {
            return Ok(None);
        };
        let prev = last_checkpoint(conn)?;
        if prev >= seq {
            return Ok(Some(prev));
        }
        let sig = key.sign_hex(message(seq, &hash, prev).as_bytes());
        conn.execute(
            "INSERT INTO ledger_signatures (seq, hash, prev_seq, public_key, signature, ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![seq, hash, prev, hex::encode(key.verifying().as_bytes()), sig, now()],
        )?;
        Ok(Some(seq))
    })();
    match result {
        Ok(v) => {
            conn.execute_batch("COMMIT")?;
            Ok(v)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// One checkpoint as stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Checkpoint {
    /// The signed entry.
    pub seq: i64,
    /// Its hash as signed.
    pub hash: String,
    /// The checkpoint before.
    pub prev_seq: i64,
    /// Public key, hex.
    pub public_key: String,
    /// Signature, hex.
    pub signature: String,
}

/// All checkpoints, in order.
pub fn checkpoints(store: &Store) -> Result<Vec<Checkpoint>> {
    let mut stmt = store.conn().prepare(
        "SELECT seq, hash, prev_seq, public_key, signature FROM ledger_signatures ORDER BY seq",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Checkpoint {
            seq: r.get(0)?,
            hash: r.get(1)?,
            prev_seq: r.get(2)?,
            public_key: r.get(3)?,
            signature: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// `Ok((checkpoints, last signed seq, key fingerprint))` or `Err((seq, problem))`.
pub type CheckpointsVerdict = std::result::Result<(i64, i64, Option<String>), (i64, String)>;

/// Checks every checkpoint against the trusted key and the (already chain-verified) ledger of
/// `entries` entries. Returns `(checkpoints, last signed seq, key fingerprint)` or the first
/// problem as `(seq, message)`.
pub fn verify_checkpoints(store: &Store, entries: i64) -> Result<CheckpointsVerdict> {
    let data_dir = store.path().parent().unwrap_or(Path::new("."));
    let all = checkpoints(store)?;
    let trusted = match trusted_key(data_dir) {
        Ok(k) => k,
        Err(e) => {
            return Ok(Err((
                0,
                format!("the ledger public key cannot be read: {e}"),
            )));
        }
    };
    let Some(vk) = trusted else {
        if let Some(c) = all.first() {
            return Ok(Err((
                c.seq,
                "the ledger has signed checkpoints but neither ledger.key nor ledger.pub.pem is present: the signatures cannot be checked".into(),
            )));
        }
        return Ok(Ok((0, 0, None)));
    };
    let trusted_hex = hex::encode(vk.as_bytes());
    let mut stmt = store
        .conn()
        .prepare("SELECT hash FROM ledger WHERE seq = ?1")?;
    let mut prev = 0i64;
    for c in &all {
        if c.prev_seq != prev {
            return Ok(Err((
                c.seq,
                format!(
                    "the signed checkpoint at entry {} follows checkpoint {} but the store's previous checkpoint is {prev}: a checkpoint was removed",
                    c.seq, c.prev_seq
                ),
            )));
        }
        if c.public_key != trusted_hex {
            return Ok(Err((
                c.seq,
                format!(
                    "the checkpoint at entry {} was signed with another key than this ledger's ({})",
                    c.seq,
                    fingerprint(&vk)
                ),
            )));
        }
        let sig_ok = hex::decode(&c.signature)
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b.as_slice()).ok())
            .map(|b| Signature::from_bytes(&b))
            .is_some_and(|sig| {
                vk.verify(message(c.seq, &c.hash, c.prev_seq).as_bytes(), &sig)
                    .is_ok()
            });
        if !sig_ok {
            return Ok(Err((
                c.seq,
                format!(
                    "the signature of the checkpoint at entry {} does not verify with the ledger key {}: it was forged or altered",
                    c.seq,
                    fingerprint(&vk)
                ),
            )));
        }
        if c.seq > entries {
            return Ok(Err((
                c.seq,
                format!(
                    "entry {} was signed but the ledger ends at entry {entries}: entries {}..={} were deleted",
                    c.seq,
                    entries + 1,
                    c.seq
                ),
            )));
        }
        let actual: Option<String> = stmt.query_row(params![c.seq], |r| r.get(0)).optional()?;
        if actual.as_deref() != Some(c.hash.as_str()) {
            return Ok(Err((
                c.seq,
                format!(
                    "entry {} does not match its signed checkpoint: the ledger up to entry {} was rewritten",
                    c.seq, c.seq
                ),
            )));
        }
        prev = c.seq;
    }
    Ok(Ok((all.len() as i64, prev, Some(fingerprint(&vk)))))
}
