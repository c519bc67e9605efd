//! The local secret store: passwords, API tokens and connection URLs that workflows name
//! (`password_secret`, `url_secret`, …), kept encrypted in `<data dir>/secrets.enc`.
//!
//! Each value is sealed with AES-256-GCM under a random 96-bit nonce, with the secret's name as
//! associated data, so a ciphertext copied under another name does not decrypt. The store file is
//! JSON (`version`, `key_id`, and per name `nonce`, `ciphertext`, `updated_at`, `updated_by`) and is
//! replaced atomically (temporary file in the same folder, fsync, rename, fsync of the folder).
//! Writers take an exclusive lock on `secrets.lock` so two `docket secret set` do not lose one
//! another's change.
//!
//! The key is 32 random bytes written as 64 hex digits in a key file, by default
//! `<data dir>/secret.key`, or the path in `DOCKET_SECRET_KEY_FILE`. It is created with mode 0600
//! on the first `docket secret set`, and a key file readable by group or others is refused. Headless
//! servers (Debian without a Secret Service) have no OS keyring, so the key file *is* the
//! mechanism: in production put it on another volume and in another backup than the data dir
//! (`DOCKET_SECRET_KEY_FILE=/etc/docket/secret.key`), so that a copy of the data dir or of its
//! backup alone reveals nothing.
//!
//! Threat model: the store protects secrets at rest from someone who obtains the store file (a
//! backup, a copied data dir, a stolen disk image of that volume) but not the key file. It does not
//! protect against root or the Docket account on the running machine, who can read the key file
//! and the process's memory. Values are authenticated per name, but someone who can write the store
//! file can still delete an entry or put back an older sealed value of the same name under the
//! same key. Key material and decrypted values are wiped from memory when dropped (`zeroize`)
//! where this module holds them; a value handed to a caller as `String` is the caller's.
//!
//! This module must never write a value, the key, or anything derived from a value other than its
//! ciphertext and length, to a log, an error message, `Debug` output or any file but the store.

use crate::failure::Failure;
use aes_gcm::aead::rand_core::RngCore;
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::Result;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use docket_core::ErrorCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// The store file's name inside the data dir.
pub const STORE_FILE: &str = "secrets.enc";
/// The default key file's name inside the data dir.
pub const KEY_FILE: &str = "secret.key";
/// Environment variable naming the key file, to keep it away from the data dir.
pub const KEY_FILE_ENV: &str = "DOCKET_SECRET_KEY_FILE";
/// The store format this version reads and writes.
pub const VERSION: u32 = 1;
/// Longest value accepted, in bytes: secrets are passwords, tokens and URLs, not documents.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

const LOCK_FILE: &str = "secrets.lock";
const KEY_LEN: usize = 32;
const TAG_LEN: usize = 16;

/// The store file at `data_dir/secrets.enc`.
pub fn store_path(data_dir: &Path) -> PathBuf {
    data_dir.join(STORE_FILE)
}

/// The key file: `DOCKET_SECRET_KEY_FILE` when set, else `data_dir/secret.key`.
pub fn key_path(data_dir: &Path) -> PathBuf {
    match std::env::var_os(KEY_FILE_ENV) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => data_dir.join(KEY_FILE),
    }
}

/// The data dir this `docket` process was started with, for code that has no [`Global`] at hand
/// (`flow_from_plan`, which `demo` and flow directories call too): the command line parsed again
/// (`--data-dir`, `DOCKET_DATA_DIR`, platform default, exactly as [`Global::data_dir`]), or
/// `DOCKET_DATA_DIR`/the platform default when the arguments are not Docket's (unit tests).
/// Interim: once `flow_from_plan` takes the data dir, callers pass it instead.
///
/// [`Global`]: crate::cli::Global
/// [`Global::data_dir`]: crate::cli::Global::data_dir
pub fn process_data_dir() -> PathBuf {
    use clap::Parser;
    /// Only the global options, read from the environment (`DOCKET_DATA_DIR`).
    #[derive(Parser)]
    struct Globals {
        #[command(flatten)]
        global: crate::cli::Global,
    }
    if let Ok(cli) = crate::cli::Cli::try_parse_from(std::env::args_os()) {
        return cli.global.data_dir();
    }
    match Globals::try_parse_from(["docket"]) {
        Ok(g) => g.global.data_dir(),
        Err(_) => PathBuf::from(".docket"),
    }
}

/// Whether `name` is a valid secret name: lowercase letters, digits, `-`, `_` and `.`, starting
/// with a letter or digit (the rule workflows apply to `password_secret`), at most 128 bytes.
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 128
        && matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c))
}

/// The environment variable that can supply a secret instead of the store:
/// `DOCKET_SECRET_<NAME>`, upper case, `-` and `.` as `_`.
pub fn env_var(name: &str) -> String {
    format!(
        "DOCKET_SECRET_{}",
        name.to_uppercase().replace(['-', '.'], "_")
    )
}

/// What is known about a stored secret without decrypting it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretInfo {
    /// The secret's name.
    pub name: String,
    /// When it was last set (RFC 3339 UTC).
    pub updated_at: String,
    /// Who last set it.
    pub updated_by: String,
    /// Length of the value in bytes.
    pub length: usize,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreFile {
    version: u32,
    key_id: String,
    secrets: BTreeMap<String, Sealed>,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sealed {
    nonce: String,
    ciphertext: String,
    updated_at: String,
    updated_by: String,
}

impl Sealed {
    fn length(&self) -> usize {
        // Base64 length is exact enough to avoid decoding: 4 chars per 3 bytes minus padding.
        let pad = self
            .ciphertext
            .bytes()
            .rev()
            .take_while(|&b| b == b'=')
            .count();
        (self.ciphertext.len() / 4 * 3).saturating_sub(pad + TAG_LEN)
    }
}

/// A 32-byte key that is wiped when dropped.
type Key = Zeroizing<[u8; KEY_LEN]>;

fn locked(msg: impl Into<String>) -> anyhow::Error {
    Failure::new(ErrorCode::SecretStoreLocked, msg).into()
}

fn key_id(key: &Key) -> String {
    docket_core::hash::sha256_hex(&key[..])[..8].to_string()
}

/// The encrypted secret store of one data dir, as read from disk. Reading names and metadata
/// needs no key; values and changes do.
pub struct SecretStore {
    path: PathBuf,
    key_path: PathBuf,
    file: Option<StoreFile>,
}

impl std::fmt::Debug for SecretStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretStore")
            .field("path", &self.path)
            .field("key_path", &self.key_path)
            .finish_non_exhaustive()
    }
}

impl SecretStore {
    /// Reads the store of `data_dir` (absent: empty), to be unlocked with the key at `key_path`.
    /// Fails with DK-E0206 when the store file cannot be read or is not a store.
    pub fn open(data_dir: &Path, key_path: &Path) -> Result<Self> {
        let path = store_path(data_dir);
        let file = read_store(&path)?;
        Ok(Self {
            path,
            key_path: key_path.to_path_buf(),
            file,
        })
    }

    /// The store file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The key file's path.
    pub fn key_path(&self) -> &Path {
        &self.key_path
    }

    /// Every stored secret's metadata, by name.
    pub fn list(&self) -> Vec<SecretInfo> {
        self.file
            .iter()
            .flat_map(|f| f.secrets.iter())
            .map(|(name, s)| info(name, s))
            .collect()
    }

    /// Metadata of one secret, if stored.
    pub fn info(&self, name: &str) -> Option<SecretInfo> {
        let s = self.file.as_ref()?.secrets.get(name)?;
        Some(info(name, s))
    }

    /// Decrypts one secret: `None` when the name is not stored, DK-E0206 when the key file is
    /// missing, too open or wrong, or the sealed value was altered.
    pub fn get(&self, name: &str) -> Result<Option<Zeroizing<String>>> {
        let Some(file) = &self.file else {
            return Ok(None);
        };
        let Some(sealed) = file.secrets.get(name) else {
            return Ok(None);
        };
        let key = self.unlock(file)?;
        open_sealed(&key, name, sealed, &self.path).map(Some)
    }

    /// Stores `value` under `name` as set by `user`, creating the key file on first use.
    pub fn set(&mut self, name: &str, value: &str, user: &str) -> Result<()> {
        check_name(name)?;
        if value.is_empty() {
            return Err(
                Failure::new(ErrorCode::BadUsage, "refusing to store an empty value").into(),
            );
        }
        if value.len() > MAX_VALUE_BYTES {
            return Err(Failure::new(
                ErrorCode::BadUsage,
                format!("the value is longer than {MAX_VALUE_BYTES} bytes; secrets are passwords, tokens and URLs"),
            )
            .into());
        }
        let _lock = self.lock()?;
        // Re-read under the lock: another writer may have changed the store since `open`.
        let current = read_store(&self.path)?;
        let key = match &current {
            Some(f) if !f.secrets.is_empty() => self.unlock(f)?,
            _ => match read_key(&self.key_path) {
                Ok(k) => k,
                Err(e) if !self.key_path.exists() => {
                    drop(e);
                    create_key(&self.key_path)?
                }
                Err(e) => return Err(e),
            },
        };
        let mut file = current.unwrap_or_else(|| StoreFile {
            version: VERSION,
            key_id: key_id(&key),
            secrets: BTreeMap::new(),
        });
        file.key_id = key_id(&key);
        file.secrets
            .insert(name.to_string(), seal(&key, name, value, user)?);
        write_atomic(&self.path, &serde_json::to_vec_pretty(&file)?)?;
        self.file = Some(file);
        Ok(())
    }

    /// Removes `name`; false when it was not stored. Needs no key.
    pub fn remove(&mut self, name: &str) -> Result<bool> {
        let _lock = self.lock()?;
        let Some(mut file) = read_store(&self.path)? else {
            self.file = None;
            return Ok(false);
        };
        let removed = file.secrets.remove(name).is_some();
        if removed {
            write_atomic(&self.path, &serde_json::to_vec_pretty(&file)?)?;
        }
        self.file = Some(file);
        Ok(removed)
    }

    /// Loads the key and checks it is the one the store was written with.
    fn unlock(&self, file: &StoreFile) -> Result<Key> {
        let key = match read_key(&self.key_path) {
            Ok(k) => k,
            Err(e) if !self.key_path.exists() => {
                drop(e);
                return Err(locked(format!(
                    "the key file {} does not exist, but the secret store {} was written with key {}: restore the key file (or point {KEY_FILE_ENV} at it); if the key is lost, remove {} and set the secrets again",
                    self.key_path.display(),
                    self.path.display(),
                    file.key_id,
                    self.path.display()
                )));
            }
            Err(e) => return Err(e),
        };
        let id = key_id(&key);
        if id != file.key_id {
            return Err(locked(format!(
                "the key file {} holds key {id}, but the secret store {} was written with key {}: use the right key file ({KEY_FILE_ENV})",
                self.key_path.display(),
                self.path.display(),
                file.key_id
            )));
        }
        Ok(key)
    }

    fn lock(&self) -> Result<File> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)
            .map_err(|e| locked(format!("cannot create {}: {e}", dir.display())))?;
        let path = dir.join(LOCK_FILE);
        let f = create_private(&path, false)
            .map_err(|e| locked(format!("cannot open {}: {e}", path.display())))?;
        f.lock()
            .map_err(|e| locked(format!("cannot lock {}: {e}", path.display())))?;
        Ok(f)
    }
}

fn info(name: &str, s: &Sealed) -> SecretInfo {
    SecretInfo {
        name: name.to_string(),
        updated_at: s.updated_at.clone(),
        updated_by: s.updated_by.clone(),
        length: s.length(),
    }
}

/// A usage error (DK-E0204) unless `name` is a valid secret name ([`is_valid_name`]).
pub fn check_name(name: &str) -> Result<()> {
    if is_valid_name(name) {
        Ok(())
    } else {
        Err(bad_name(name))
    }
}

fn bad_name(name: &str) -> anyhow::Error {
    Failure::new(
        ErrorCode::BadUsage,
        format!("secret name `{name}` may only hold lowercase letters, digits, `-`, `_` and `.`, and must start with a letter or digit"),
    )
    .into()
}

fn read_store(path: &Path) -> Result<Option<StoreFile>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(locked(format!(
                "cannot read the secret store {}: {e}",
                path.display()
            )));
        }
    };
    let file: StoreFile = serde_json::from_slice(&bytes).map_err(|e| {
        locked(format!(
            "the secret store {} is not a Docket secret store (altered or damaged: {e})",
            path.display()
        ))
    })?;
    if file.version != VERSION {
        return Err(locked(format!(
            "the secret store {} has format version {}; this Docket reads version {VERSION}",
            path.display(),
            file.version
        )));
    }
    Ok(Some(file))
}

fn seal(key: &Key, name: &str, value: &str, user: &str) -> Result<Sealed> {
    let cipher = Aes256Gcm::new_from_slice(&key[..]).map_err(|_| locked("bad key length"))?;
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let ciphertext = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: value.as_bytes(),
                aad: name.as_bytes(),
            },
        )
        .map_err(|_| locked(format!("cannot encrypt secret '{name}'")))?;
    Ok(Sealed {
        nonce: B64.encode(nonce),
        ciphertext: B64.encode(ciphertext),
        updated_at: crate::store::now(),
        updated_by: user.to_string(),
    })
}

fn open_sealed(key: &Key, name: &str, s: &Sealed, store: &Path) -> Result<Zeroizing<String>> {
    let altered = || {
        locked(format!(
            "secret '{name}' in {} does not decrypt with this key: the store file was altered, or the entry was copied from another name or store",
            store.display()
        ))
    };
    let nonce = B64.decode(&s.nonce).map_err(|_| altered())?;
    if nonce.len() != 12 {
        return Err(altered());
    }
    let ciphertext = B64.decode(&s.ciphertext).map_err(|_| altered())?;
    let cipher = Aes256Gcm::new_from_slice(&key[..]).map_err(|_| locked("bad key length"))?;
    let plain = Zeroizing::new(
        cipher
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| altered())?,
    );
    match std::str::from_utf8(&plain) {
        Ok(s) => Ok(Zeroizing::new(s.to_string())),
        Err(_) => Err(altered()),
    }
}

/// Reads and checks the key file: it must exist, be a regular file closed to group and others,
/// and hold 64 hex digits.
fn read_key(path: &Path) -> Result<Key> {
    let mut f = File::open(path)
        .map_err(|e| locked(format!("cannot read the key file {}: {e}", path.display())))?;
    // Checked on the open handle, so the file checked is the file read.
    let meta = f
        .metadata()
        .map_err(|e| locked(format!("cannot read the key file {}: {e}", path.display())))?;
    if !meta.is_file() {
        return Err(locked(format!(
            "the key file {} is not a regular file",
            path.display()
        )));
    }
    check_private(path, &meta)?;
    let mut buf = Zeroizing::new([0u8; 2 * KEY_LEN + 8]);
    let mut n = 0;
    loop {
        let read = f
            .read(&mut buf[n..])
            .map_err(|e| locked(format!("cannot read the key file {}: {e}", path.display())))?;
        if read == 0 {
            break;
        }
        n += read;
        if n == buf.len() {
            break;
        }
    }
    let text = buf[..n].trim_ascii();
    let mut key: Key = Zeroizing::new([0u8; KEY_LEN]);
    if text.len() != 2 * KEY_LEN || hex::decode_to_slice(text, &mut key[..]).is_err() {
        return Err(locked(format!(
            "the key file {} does not hold a Docket key (64 hex digits)",
            path.display()
        )));
    }
    Ok(key)
}

#[cfg(unix)]
fn check_private(path: &Path, meta: &std::fs::Metadata) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(locked(format!(
            "the key file {} has mode {mode:04o}, readable by group or others; refusing to use it: run `chmod 600 {}`",
            path.display(),
            path.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _meta: &std::fs::Metadata) -> Result<()> {
    // No mode bits: on Windows the file inherits the ACL of the (per-user) data dir.
    Ok(())
}

/// Creates a new random key file with mode 0600 (set when the file is created, never widened).
fn create_key(path: &Path) -> Result<Key> {
    let mut key: Key = Zeroizing::new([0u8; KEY_LEN]);
    OsRng.fill_bytes(&mut key[..]);
    let mut text = Zeroizing::new([0u8; 2 * KEY_LEN + 1]);
    hex::encode_to_slice(&key[..], &mut text[..2 * KEY_LEN])
        .map_err(|_| locked("cannot encode the key"))?;
    text[2 * KEY_LEN] = b'\n';
    let cannot = |e: std::io::Error| {
        locked(format!(
            "cannot create the key file {}: {e}",
            path.display()
        ))
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(cannot)?;
    }
    let mut f = create_private(path, true).map_err(cannot)?;
    f.write_all(&text[..]).map_err(cannot)?;
    f.sync_all().map_err(cannot)?;
    sync_dir(path).map_err(cannot)?;
    eprintln!(
        "created the secret key file {} (key {}): back it up apart from the data dir; without it the stored secrets cannot be read",
        path.display(),
        key_id(&key)
    );
    Ok(key)
}

/// Opens `path` for writing with mode 0600 from the start; `new` refuses an existing file.
fn create_private(path: &Path, new: bool) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true);
    if new {
        o.create_new(true);
    } else {
        o.create(true).truncate(false);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

fn sync_dir(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Replaces `path` with `bytes`: a 0600 temporary file in the same folder, fsync, rename, fsync
/// of the folder. A crash leaves either the old or the new store, never a mix.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut suffix = [0u8; 6];
    OsRng.fill_bytes(&mut suffix);
    let tmp = dir.join(format!(
        ".{STORE_FILE}.{}.{}.tmp",
        std::process::id(),
        hex::encode(suffix)
    ));
    let result = (|| -> std::io::Result<()> {
        let mut f = create_private(&tmp, true)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        sync_dir(path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(locked(format!(
            "cannot write the secret store {}: {e}",
            path.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
#[path = "secrets_tests.rs"]
mod tests;
