//! Users, roles, passwords, sessions and CSRF tokens of the dashboard, all in the run store.
//!
//! - Passwords are argon2id PHC strings; the password itself is never stored or logged.
//! - Five failed logins in a row lock the account (`users.locked_at`) until an admin unlocks it.
//! - A session cookie holds 32 random bytes; the store keeps only their SHA-256, so a copy of the
//!   store does not let anyone log in. Each session has its own CSRF token, required on every POST.
//! - Every login, failure, lockout, user change is a ledger entry naming the user.

use crate::ledger;
use crate::store::{Store, now};
use anyhow::{Result, bail};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use docket_core::hash::sha256_hex;
use rand_core::RngCore;
use rusqlite::{OptionalExtension, params};
use serde_json::json;

/// Failed logins in a row that lock an account.
pub const MAX_FAILURES: i64 = 5;
/// How long a session lasts.
pub const SESSION_HOURS: i64 = 8;

/// A role, with what it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Runs flows and fixes what the machine was unsure of (review queue).
    Operator,
    /// Designs flows and schedules.
    Designer,
    /// Compliance officer: alerts, cases, STR approval.
    Compliance,
    /// Reads everything, changes nothing.
    Auditor,
    /// Manages users.
    Admin,
}

/// Something a page or action needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    /// Runs, their files and errors.
    ViewRuns,
    /// The review queue and document pages (read).
    ViewReview,
    /// Correct and accept extracted values.
    EditReview,
    /// Alerts, cases, STR drafts (read).
    ViewAlerts,
    /// Approve STR drafts (four eyes).
    ApproveStr,
    /// The ledger.
    ViewLedger,
    /// Schedules.
    ViewSchedules,
    /// Pause and resume schedules.
    ManageSchedules,
    /// Add and unlock users.
    ManageUsers,
}

impl Role {
    /// Every role, as `docket user add --role` spells them.
    pub const ALL: [Role; 5] = [
        Role::Operator,
        Role::Designer,
        Role::Compliance,
        Role::Auditor,
        Role::Admin,
    ];

    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Designer => "designer",
            Role::Compliance => "compliance",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }

    /// Parses a stored or typed name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.name() == s.trim().to_ascii_lowercase())
    }

    /// True when the role may do `cap`. Admins manage users but do not review or approve
    /// (separation of duties); auditors read everything and change nothing.
    pub fn can(self, cap: Cap) -> bool {
        use Cap::*;
        match self {
            Role::Operator => matches!(
                cap,
                ViewRuns | ViewReview | EditReview | ViewSchedules | ManageSchedules | ViewLedger
            ),
            Role::Designer => {
                matches!(cap, ViewRuns | ViewReview | ViewSchedules | ManageSchedules)
            }
            Role::Compliance => matches!(cap, ViewRuns | ViewAlerts | ApproveStr | ViewLedger),
            Role::Auditor => matches!(
                cap,
                ViewRuns | ViewReview | ViewAlerts | ViewLedger | ViewSchedules
            ),
            Role::Admin => matches!(cap, ViewRuns | ViewLedger | ViewSchedules | ManageUsers),
        }
    }
}

/// 32 random bytes as hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// Constant-time comparison of two tokens.
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'))
}

/// Adds a user (argon2id hash of `password`) and ledgers it as `by`.
pub fn add_user(store: &mut Store, name: &str, role: Role, password: &str, by: &str) -> Result<()> {
    if !valid_name(name) {
        bail!("user name '{name}' must be 1-64 letters, digits, '.', '-', '_' or '@'");
    }
    if password.chars().count() < 10 {
        bail!("the password must have at least 10 characters");
    }
    let salt = SaltString::generate(&mut rand_core::OsRng);
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))?
        .to_string();
    let tx = store.conn_mut().transaction()?;
    let n = tx.execute(
        "INSERT OR IGNORE INTO users (name, role, password, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![name, role.name(), hash, now()],
    )?;
    if n != 1 {
        bail!("user '{name}' already exists");
    }
    ledger::append(
        &tx,
        None,
        "user_added",
        &json!({"user": by, "name": name, "role": role.name()}),
    )?;
    tx.commit()?;
    ledger::write_head(store)
}

/// Clears a user's lockout and ledgers it as `by`.
pub fn unlock_user(store: &mut Store, name: &str, by: &str) -> Result<()> {
    let tx = store.conn_mut().transaction()?;
    let n = tx.execute(
        "UPDATE users SET failures = 0, locked_at = NULL WHERE name = ?1",
        params![name],
    )?;
    if n != 1 {
        bail!("no user '{name}'");
    }
    ledger::append(
        &tx,
        None,
        "user_unlocked",
        &json!({"user": by, "name": name}),
    )?;
    tx.commit()?;
    ledger::write_head(store)
}

/// Why a login failed (shown to the person; the name is never confirmed to exist).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    /// Wrong name or password.
    Wrong,
    /// Too many failures: an admin must unlock the account.
    Locked,
}

/// A logged-in user.
#[derive(Debug, Clone)]
pub struct SessionUser {
    /// Login name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The session's CSRF token.
    pub csrf: String,
    /// SHA-256 of the session cookie.
    pub token_hash: String,
}

/// Checks a password; on success opens a session and returns the cookie value.
pub fn login(
    store: &mut Store,
    name: &str,
    password: &str,
) -> Result<std::result::Result<String, LoginError>> {
    let row: Option<(String, i64, Option<String>)> = store
        .conn()
        .query_row(
            "SELECT password, failures, locked_at FROM users WHERE name = ?1",
            params![name],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((phc, _failures, locked)) = row else {
        // Spend the same time as a real check so a name cannot be probed by timing.
        let _ = Argon2::default().hash_password(
            password.as_bytes(),
            &SaltString::generate(&mut rand_core::OsRng),
        );
        ledger::record(
            store,
            None,
            "login_failed",
            json!({"user": name, "reason": "unknown user"}),
        )?;
        return Ok(Err(LoginError::Wrong));
    };
    if locked.is_some() {
        ledger::record(
            store,
            None,
            "login_failed",
            json!({"user": name, "reason": "locked"}),
        )?;
        return Ok(Err(LoginError::Locked));
    }
    let good = PasswordHash::new(&phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false);
    let tx = store.conn_mut().transaction()?;
    if !good {
        tx.execute(
            "UPDATE users SET failures = failures + 1 WHERE name = ?1",
            params![name],
        )?;
        let failures: i64 = tx.query_row(
            "SELECT failures FROM users WHERE name = ?1",
            params![name],
            |r| r.get(0),
        )?;
        ledger::append(
            &tx,
            None,
            "login_failed",
            &json!({"user": name, "reason": "wrong password", "failures": failures}),
        )?;
        let locked = failures >= MAX_FAILURES;
        if locked {
            tx.execute(
                "UPDATE users SET locked_at = ?2 WHERE name = ?1",
                params![name, now()],
            )?;
            ledger::append(
                &tx,
                None,
                "user_locked",
                &json!({"user": name, "failures": failures}),
            )?;
        }
        tx.commit()?;
        ledger::write_head(store)?;
        return Ok(Err(if locked {
            LoginError::Locked
        } else {
            LoginError::Wrong
        }));
    }
    let token = random_token();
    let expires = (chrono::Utc::now() + chrono::Duration::hours(SESSION_HOURS))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    tx.execute(
        "UPDATE users SET failures = 0 WHERE name = ?1",
        params![name],
    )?;
    tx.execute(
        "INSERT INTO sessions (token_hash, user_name, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![sha256_hex(token.as_bytes()), name, random_token(), now(), expires],
    )?;
    ledger::append(&tx, None, "login", &json!({"user": name}))?;
    tx.commit()?;
    ledger::write_head(store)?;
    Ok(Ok(token))
}

/// The user of a session cookie, when the session exists, has not expired and the account is
/// not locked.
pub fn session(store: &Store, cookie: &str) -> Result<Option<SessionUser>> {
    let token_hash = sha256_hex(cookie.as_bytes());
    let row: Option<(String, String, String)> = store
        .conn()
        .query_row(
            "SELECT s.user_name, u.role, s.csrf FROM sessions s JOIN users u ON u.name = s.user_name
             WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND u.locked_at IS NULL",
            params![token_hash, now()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    Ok(row.and_then(|(name, role, csrf)| {
        Role::parse(&role).map(|role| SessionUser {
            name,
            role,
            csrf,
            token_hash,
        })
    }))
}

/// Ends a session.
pub fn logout(store: &mut Store, user: &SessionUser) -> Result<()> {
    let tx = store.conn_mut().transaction()?;
    tx.execute(
        "DELETE FROM sessions WHERE token_hash = ?1",
        params![user.token_hash],
    )?;
    ledger::append(&tx, None, "logout", &json!({"user": user.name}))?;
    tx.commit()?;
    ledger::write_head(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockout_after_five_failures_and_unlock() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let mut s = Store::open(dir.path())?;
        add_user(
            &mut s,
            "ann",
            Role::Operator,
            "correct horse battery",
            "test",
        )?;
        assert!(login(&mut s, "ann", "correct horse battery")?.is_ok());
        for i in 1..=5 {
            let r = login(&mut s, "ann", "wrong password!")?;
            let want = if i < 5 {
                LoginError::Wrong
            } else {
                LoginError::Locked
            };
            assert_eq!(r, Err(want), "attempt {i}");
        }
        assert_eq!(
            login(&mut s, "ann", "correct horse battery")?,
            Err(LoginError::Locked),
            "the right password does not open a locked account"
        );
        unlock_user(&mut s, "ann", "admin")?;
        let token = login(&mut s, "ann", "correct horse battery")?;
        let token = token.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let u = session(&s, &token)?;
        assert_eq!(u.map(|u| u.role), Some(Role::Operator));
        assert!(session(&s, "not-a-session")?.is_none());
        let stored: String =
            s.conn()
                .query_row("SELECT password FROM users WHERE name='ann'", [], |r| {
                    r.get(0)
                })?;
        assert!(stored.starts_with("$argon2id$") && !stored.contains("horse"));
        assert!(ledger::verify(&s)?.ok);
        Ok(())
    }

    #[test]
    fn roles_are_separated() {
        assert!(Role::Compliance.can(Cap::ApproveStr));
        assert!(!Role::Auditor.can(Cap::ApproveStr));
        assert!(!Role::Auditor.can(Cap::EditReview));
        assert!(!Role::Admin.can(Cap::ApproveStr));
        assert!(!Role::Operator.can(Cap::ViewAlerts));
        assert!(Role::Admin.can(Cap::ManageUsers));
        assert_eq!(Role::parse("Compliance"), Some(Role::Compliance));
    }
}
