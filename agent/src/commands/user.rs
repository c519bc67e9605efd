//! `docket user add|list|unlock`: dashboard accounts in the run store. Passwords are read from
//! the terminal without echo or from stdin, never from the command line, and stored as argon2id
//! hashes ([`crate::web::auth`]).

use crate::cli::Global;
use crate::commands::str_state::UserArg;
use crate::failure::Failure;
use crate::store::Store;
use crate::web::auth::{self, Role};
use anyhow::Result;
use clap::{Args, Subcommand};
use docket_core::ErrorCode;
use std::io::{IsTerminal, Read};
use zeroize::Zeroize;

/// `docket user …`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a dashboard user; the password is read from the terminal (no echo) or stdin.
    #[command(
        after_help = "Examples:\n  docket user add alice --role compliance\n  printf '%s' \"$PW\" | docket user add bob --role auditor\n\nRoles: operator, designer, compliance, auditor, admin."
    )]
    Add(AddArgs),
    /// List users with role and lock state.
    List,
    /// Unlock a user locked after 5 failed logins.
    Unlock(UnlockArgs),
}

/// Arguments of `docket user add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Login name.
    pub name: String,
    /// operator | designer | compliance | auditor | admin.
    #[arg(long)]
    pub role: String,
    /// Who is adding (recorded in the ledger).
    #[command(flatten)]
    pub by: UserArg,
}

/// Arguments of `docket user unlock`.
#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// Login name.
    pub name: String,
    /// Who is unlocking (recorded in the ledger).
    #[command(flatten)]
    pub by: UserArg,
}

fn usage(msg: String) -> anyhow::Error {
    Failure::new(ErrorCode::BadUsage, msg).into()
}

/// Runs `docket user …`.
pub fn run(g: &Global, cmd: &UserCommand) -> Result<i32> {
    let mut store = Store::open(&g.data_dir())?;
    match cmd {
        UserCommand::Add(a) => {
            let role = Role::parse(&a.role).ok_or_else(|| {
                usage(format!(
                    "unknown role '{}': use operator, designer, compliance, auditor or admin",
                    a.role
                ))
            })?;
            let by = a.by.resolve()?;
            let mut pw = read_password(&a.name)?;
            let r = auth::add_user(&mut store, &a.name, role, &pw, &by);
            pw.zeroize();
            r.map_err(|e| usage(e.to_string()))?;
            println!("added user {} ({})", a.name, role.name());
        }
        UserCommand::List => {
            let mut stmt = store
                .conn()
                .prepare("SELECT name, role, failures, locked_at FROM users ORDER BY name")?;
            let rows: Vec<(String, String, i64, Option<String>)> = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<rusqlite::Result<_>>()?;
            if g.json {
                let v: Vec<_> = rows
                    .iter()
                    .map(|(n, r, f, l)| serde_json::json!({"name": n, "role": r, "failures": f, "locked_at": l}))
                    .collect();
                println!("{}", serde_json::Value::Array(v));
            } else {
                for (n, r, f, l) in rows {
                    println!("{n}\t{r}\t{f} failed\t{}", l.unwrap_or_else(|| "-".into()));
                }
            }
        }
        UserCommand::Unlock(a) => {
            let by = a.by.resolve()?;
            auth::unlock_user(&mut store, &a.name, &by).map_err(|e| usage(e.to_string()))?;
            println!("unlocked user {}", a.name);
        }
    }
    Ok(0)
}

fn read_password(name: &str) -> Result<String> {
    if std::io::stdin().is_terminal() {
        let a = rpassword::prompt_password(format!("password for {name}: "))?;
        let mut b = rpassword::prompt_password("again: ")?;
        let same = a == b;
        b.zeroize();
        if !same {
            return Err(usage("the passwords differ: nothing stored".into()));
        }
        return Ok(a);
    }
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(|e| usage(format!("cannot read the password from stdin: {e}")))?;
    if s.ends_with('\n') {
        s.pop();
        if s.ends_with('\r') {
            s.pop();
        }
    }
    Ok(s)
}
