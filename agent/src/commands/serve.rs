//! `docket serve`: the review desk and auditor's view ([`crate::web`]) on 127.0.0.1:8080 by
//! default. Users are added with `docket user add`.

use crate::cli::Global;
use crate::web;
use anyhow::Result;
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Arguments of `docket serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on. Keep the default loopback address unless TLS is configured
    /// (`--tls-cert/--tls-key`) or a TLS-terminating proxy sits in front.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub bind: SocketAddr,
    /// PEM certificate chain: serve HTTPS (with `--tls-key`).
    #[arg(
        long,
        env = "DOCKET_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `--tls-cert` (keep it 0600).
    #[arg(
        long,
        env = "DOCKET_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,
    /// A folder of flows: the schedules page shows their next fire times.
    #[arg(long, value_name = "DIR")]
    pub flows: Option<PathBuf>,
    /// Print the route table as JSON and exit (security tests walk it).
    #[arg(long, hide = true)]
    pub routes: bool,
}

/// Runs `docket serve` until interrupted.
pub fn run(g: &Global, args: &ServeArgs) -> Result<i32> {
    if args.routes {
        let v: Vec<_> = web::ROUTES
            .iter()
            .map(|(m, p)| serde_json::json!({"method": m, "path": p}))
            .collect();
        println!("{}", serde_json::Value::Array(v));
        return Ok(0);
    }
    let data_dir = g.data_dir();
    {
        let store = crate::store::Store::open(&data_dir)?;
        let users: i64 = store
            .conn()
            .query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?;
        if users == 0 {
            eprintln!(
                "warning: no dashboard users yet: add one with `docket user add NAME --role admin` (password on stdin)"
            );
        }
    }
    let tls = args.tls_cert.clone().zip(args.tls_key.clone());
    if tls.is_none() && !args.bind.ip().is_loopback() {
        eprintln!(
            "warning: listening on {} without TLS: put a TLS-terminating proxy in front",
            args.bind
        );
    }
    let config = web::Config {
        data_dir,
        bind: args.bind,
        flows: args.flows.clone(),
        tls: tls.clone(),
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let server = tokio::spawn(web::serve(config, Some(tx)));
        if let Ok(addr) = rx.await {
            println!("docket dashboard on {scheme}://{addr}/ (Ctrl-C to stop)");
        }
        tokio::select! {
            r = server => r.map_err(|e| anyhow::anyhow!("server task failed: {e}"))?,
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    })?;
    Ok(0)
}
