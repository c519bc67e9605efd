//! `docket secret set|list|get|rm`: manage the encrypted local secret store ([`crate::secrets`]).
//! Values are read from the terminal without echo, or from stdin; never from the command line,
//! where they would land in shell history and `ps`. Changes and reveals are recorded in the run
//! ledger with the name and the acting user, never the value.
//!
//! This module must never print a value except to stdout for `get --reveal`.

use crate::cli::Global;
use crate::commands::str_state::UserArg;
use crate::failure::Failure;
use crate::ledger;
use crate::secrets::{self, SecretStore};
use crate::store::Store;
use anyhow::Result;
use clap::{Args, Subcommand};
use docket_core::ErrorCode;
use serde_json::json;
use std::io::{IsTerminal, Read};
use std::path::Path;
use zeroize::Zeroizing;

/// `docket secret …`
#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Store a secret; the value is read from the terminal (no echo) or from stdin.
    #[command(
        after_help = "Examples:\n  docket secret set statement-pw                 # prompts, twice, without echo\n  printf '%s' \"$PW\" | docket secret set statement-pw\n  docket secret set backoffice-db < url.txt      # one trailing newline is dropped\n\nThe key file is DOCKET_SECRET_KEY_FILE, else <data dir>/secret.key; it is created (mode 0600) on first use. Keep it in another backup than the data dir.\n\nExit codes: 0 stored, 2 bad name or empty value, or the store cannot be opened (DK-E0206)."
    )]
    Set(SetArgs),
    /// List stored secrets: names, when and by whom they were set; never values.
    #[command(after_help = "Examples:\n  docket secret list\n  docket secret list --json")]
    List,
    /// Show a secret's metadata; `--reveal` prints its value to stdout.
    #[command(
        after_help = "Examples:\n  docket secret get statement-pw\n  PGPASSWORD=$(docket secret get db-pw --reveal) psql …\n\nEvery --reveal is recorded in the ledger (name and user).\n\nExit codes: 0 found, 2 not stored (DK-E0205) or the store cannot be opened (DK-E0206)."
    )]
    Get(GetArgs),
    /// Remove a secret.
    #[command(
        after_help = "Examples:\n  docket secret rm statement-pw\n\nExit codes: 0 removed, 2 not stored (DK-E0205)."
    )]
    Rm(NameArgs),
}

/// Arguments of `docket secret set`.
#[derive(Debug, Args)]
pub struct SetArgs {
    /// The secret's name: lowercase letters, digits, `-`, `_`, `.` (as named in workflows).
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Who is acting.
    #[command(flatten)]
    pub user: UserArg,
}

/// Arguments of `docket secret get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// The secret's name.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Print the value (followed by a newline) to stdout instead of the metadata.
    #[arg(long)]
    pub reveal: bool,
    /// Who is acting (recorded with --reveal).
    #[command(flatten)]
    pub user: UserArg,
}

/// Arguments of `docket secret rm`.
#[derive(Debug, Args)]
pub struct NameArgs {
    /// The secret's name.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Who is acting.
    #[command(flatten)]
    pub user: UserArg,
}

/// Runs `docket secret …`.
pub fn run(g: &Global, cmd: &SecretCommand) -> Result<i32> {
    let data_dir = g.data_dir();
    let mut store = SecretStore::open(&data_dir, &secrets::key_path(&data_dir))?;
    match cmd {
        SecretCommand::Set(a) => set(g, &data_dir, &mut store, a),
        SecretCommand::List => list(g, &store),
        SecretCommand::Get(a) => get(g, &data_dir, &store, a),
        SecretCommand::Rm(a) => rm(g, &data_dir, &mut store, a),
    }
}

fn missing(store: &SecretStore, name: &str) -> anyhow::Error {
    Failure::new(
        ErrorCode::SecretMissing,
        format!(
            "no secret '{name}' in {}: `docket secret list` shows the names that exist",
            store.path().display()
        ),
    )
    .into()
}

/// Appends one ledger entry (never a value) to the run store of `data_dir`.
fn record(data_dir: &Path, kind: &str, name: &str, user: &str) -> Result<()> {
    let mut db = Store::open(data_dir)
        .map_err(|e| Failure::new(ErrorCode::StoreUnavailable, format!("{e:#}")))?;
    ledger::record(&mut db, None, kind, json!({ "name": name, "user": user }))
}

fn set(g: &Global, data_dir: &Path, store: &mut SecretStore, a: &SetArgs) -> Result<i32> {
    let user = a.user.resolve()?;
    // Checked before reading the value so that a typo does not cost a prompt.
    secrets::check_name(&a.name)?;
    let value = read_value(&a.name)?;
    store.set(&a.name, &value, &user)?;
    // The change is made before it is recorded: a ledger failure is reported, and the operator
    // can see from the store's updated_at/updated_by what happened.
    record(data_dir, "secret_set", &a.name, &user)?;
    if g.json {
        println!(
            "{}",
            json!({ "name": a.name, "stored": true, "length": value.len(), "store": store.path() })
        );
    } else if !g.quiet {
        println!(
            "secret '{}' stored ({} bytes) in {}",
            a.name,
            value.len(),
            store.path().display()
        );
    }
    Ok(0)
}

/// The value from the terminal (asked twice, no echo) or all of stdin minus one trailing newline.
fn read_value(name: &str) -> Result<Zeroizing<String>> {
    let usage = |m: String| -> anyhow::Error { Failure::new(ErrorCode::BadUsage, m).into() };
    let value = if std::io::stdin().is_terminal() {
        let first = Zeroizing::new(
            rpassword::prompt_password(format!("value for '{name}': "))
                .map_err(|e| usage(format!("cannot read from the terminal: {e}")))?,
        );
        let again = Zeroizing::new(
            rpassword::prompt_password("again: ")
                .map_err(|e| usage(format!("cannot read from the terminal: {e}")))?,
        );
        if *first != *again {
            return Err(usage("the two entries differ; nothing stored".into()));
        }
        first
    } else {
        let mut bytes = Zeroizing::new(Vec::new());
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| usage(format!("cannot read the value from stdin: {e}")))?;
        if bytes.ends_with(b"\n") {
            bytes.pop();
            if bytes.ends_with(b"\r") {
                bytes.pop();
            }
        }
        match std::str::from_utf8(&bytes) {
            Ok(s) => Zeroizing::new(s.to_string()),
            Err(_) => return Err(usage("the value on stdin is not UTF-8 text".into())),
        }
    };
    if value.is_empty() {
        return Err(usage(format!(
            "empty value for '{name}': nothing stored (pipe the value on stdin, or run in a terminal to be prompted)"
        )));
    }
    Ok(value)
}

fn list(g: &Global, store: &SecretStore) -> Result<i32> {
    let items = store.list();
    if g.json {
        println!("{}", serde_json::to_string(&items)?);
    } else if items.is_empty() {
        if !g.quiet {
            println!(
                "no secrets in {}: add one with `docket secret set NAME`",
                store.path().display()
            );
        }
    } else {
        let w = items.iter().map(|i| i.name.len()).max().unwrap_or(4).max(4);
        println!("{:w$}  {:24}  BY", "NAME", "UPDATED");
        for i in &items {
            println!("{:w$}  {:24}  {}", i.name, i.updated_at, i.updated_by);
        }
    }
    Ok(0)
}

fn get(g: &Global, data_dir: &Path, store: &SecretStore, a: &GetArgs) -> Result<i32> {
    let Some(info) = store.info(&a.name) else {
        return Err(missing(store, &a.name));
    };
    if a.reveal {
        let user = a.user.resolve()?;
        // Decrypt first (a wrong key must not leave a reveal in the ledger), record, then print:
        // a reveal that cannot be recorded does not happen.
        let value = store.get(&a.name)?.ok_or_else(|| missing(store, &a.name))?;
        record(data_dir, "secret_revealed", &a.name, &user)?;
        println!("{}", value.as_str());
        return Ok(0);
    }
    if g.json {
        let mut v = serde_json::to_value(&info)?;
        v["exists"] = true.into();
        println!("{v}");
    } else {
        println!(
            "{}: stored, {} bytes, updated {} by {}",
            info.name, info.length, info.updated_at, info.updated_by
        );
    }
    Ok(0)
}

fn rm(g: &Global, data_dir: &Path, store: &mut SecretStore, a: &NameArgs) -> Result<i32> {
    let user = a.user.resolve()?;
    if !store.remove(&a.name)? {
        return Err(missing(store, &a.name));
    }
    record(data_dir, "secret_removed", &a.name, &user)?;
    if g.json {
        println!("{}", json!({ "name": a.name, "removed": true }));
    } else if !g.quiet {
        println!("secret '{}' removed", a.name);
    }
    Ok(0)
}
