//! The command line: one clap definition for every command and global option, and the dispatch
//! from a parsed command to the function that implements it. Help texts carry examples.

use crate::commands;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Docket: a desktop agent for bank back offices.
#[derive(Debug, Parser)]
#[command(
    name = "docket",
    version,
    about = "Reads bank statements (PDF, scans, spreadsheets), checks them and writes them into back-office systems exactly once.",
    after_help = "Examples:\n  docket extract statement.pdf --json\n  docket run installer/demo/flow.yaml\n  docket audit verify\n  docket doctor\n  docket explain DK-E0104"
)]
pub struct Cli {
    /// Global options.
    #[command(flatten)]
    pub global: Global,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Where Docket keeps its run store, ledger and evidence (default: the platform data dir,
    /// e.g. ~/.local/share/docket).
    #[arg(long, global = true, env = "DOCKET_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// More log output (-v info, -vv debug, -vvv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

impl Global {
    /// The data dir, defaulting to the platform's.
    pub fn data_dir(&self) -> PathBuf {
        if let Some(d) = &self.data_dir {
            return d.clone();
        }
        directories::ProjectDirs::from("org", "docket", "docket")
            .map(|p| p.data_dir().to_path_buf())
            .unwrap_or_else(|| PathBuf::from(".docket"))
    }
}

/// Docket's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Extract structured data from documents: one JSON document per input file.
    #[command(
        after_help = "Examples:\n  docket extract march.pdf\n  docket extract --json inbox/*.pdf > out.jsonl\n  docket extract --schema my-schema.json letter.pdf\n\nExit codes: 0 all good, 1 a check failed (needs review), 2 a file could not be read."
    )]
    Extract(commands::extract::ExtractArgs),
    /// Run the demo flow on the bundled sample statements into a SQLite back office.
    #[command(after_help = "Examples:\n  docket demo\n  docket demo /tmp/demo")]
    Demo(commands::demo::DemoArgs),
    /// Run a workflow once now: ingest, extract, write, report. Resumes an interrupted run.
    #[command(
        after_help = "Examples:\n  docket run installer/demo/flow.yaml\n  docket run --check flows/daily.yaml      # validate only\n\nA run killed at any point resumes when started again, without losing or repeating a record."
    )]
    Run(commands::run::RunArgs),
    /// Screen transactions for money-laundering and fraud patterns; alerts and cases go to the store.
    #[command(
        after_help = "Examples:\n  docket screen --json transfers.csv\n  docket extract --json march.pdf > march.jsonl && docket screen march.jsonl\n  docket screen --map from_account=付款账号 --map to_account=收款账号 --map amount=金额 --map timestamp=交易时间 export.xlsx\n\nExit codes: 0 no alert, 1 alerts raised, 2 bad input."
    )]
    Screen(commands::screen::ScreenArgs),
    /// Run every scheduled flow of a folder on its schedule (alone, or as one agent of a fleet).
    #[command(
        after_help = "Examples:\n  docket daemon --flows flows/\n  docket daemon --flows flows/ --store postgres://docket@db/docket --name agent-1\n\nEach tick is recorded before it runs; a daemon killed at any point resumes its interrupted ticks at the next start. Stop with SIGTERM or Ctrl-C."
    )]
    Daemon(commands::daemon::DaemonArgs),
    /// Next fire times of scheduled flows, and the ticks the daemon recorded.
    #[command(subcommand)]
    Schedule(commands::daemon::ScheduleCommand),
    /// Replay a recorded UI script against a desktop application, for each record.
    #[command(
        after_help = "Examples:\n  docket replay form.yaml --records txns.jsonl --display :0\n  docket replay form.yaml --records txns.json --headless --screen 1280x1024 --app 'legacy-app --user clerk'\n  docket replay form.yaml --records txns.jsonl --dry-run\n\nExit codes: 0 all records entered, 1 a step failed or a record was skipped (DK-E0602: step, record, every signal's best score, screenshot), 2 bad script, anchors, records or a missing secret."
    )]
    Replay(commands::replay::ReplayArgs),
    /// Record a UI workflow from global mouse and keyboard capture into a replayable script.
    #[command(
        after_help = "Examples:\n  docket record form.yaml --display :0\n  docket record form.yaml --headless --screen 1280x1024 --app 'legacy-app' --secret-field 'Teller code'\n\nStop with the stop hotkey (default ctrl+alt+shift+s) or Ctrl-C. Typing into password/PIN fields is written as a secret reference, never the characters.\n\nExit codes: 0 recorded, 2 bad arguments or no display (DK-E0601)."
    )]
    Record(commands::record::RecordArgs),
    /// Share work among agents through one PostgreSQL store: queue, leases, heartbeats.
    #[command(subcommand)]
    Fleet(commands::fleet::FleetCommand),
    /// Draft regulator reports from screening cases.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Keep passwords, tokens and connection URLs in the encrypted local secret store.
    #[command(subcommand)]
    Secret(commands::secret::SecretCommand),
    /// Inspect the run ledger.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Serve the review desk and auditor's view (web dashboard) on 127.0.0.1.
    #[command(
        after_help = "Examples:\n  docket user add alice --role operator\n  docket serve\n  docket serve --bind 127.0.0.1:9000 --flows flows/"
    )]
    Serve(commands::serve::ServeArgs),
    /// Dashboard users: add (password on stdin), list, unlock.
    #[command(subcommand)]
    User(commands::user::UserCommand),
    /// Check the installation: Tesseract and languages, display, store, endpoints.
    Doctor,
    /// Explain an error code: what it means and what to do.
    #[command(after_help = "Examples:\n  docket explain DK-E0104\n  docket explain --all")]
    Explain(commands::explain::ExplainArgs),
    /// Print a JSON Schema: `workflow`, a built-in extraction schema, or `list`.
    #[command(
        after_help = "Examples:\n  docket schema workflow > workflow.schema.json\n  docket schema bank_statement\n  docket schema list"
    )]
    Schema(commands::schema::SchemaArgs),
    /// Measure extraction speed on generated or given documents.
    Bench(commands::bench::BenchArgs),
    /// Print version and build information.
    Version,
}

/// `docket audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify the hash chain of the run ledger; exit 1 naming the first entry that fails.
    Verify,
    /// Write a self-contained audit bundle of a run or case (checked elsewhere by its verify.sh).
    #[command(
        after_help = "Examples:\n  docket audit export 20260301-0930-ab12 --output bundle/\n  docket audit export C-MULE --output case-bundle/ && sh case-bundle/verify.sh"
    )]
    Export(commands::audit::ExportArgs),
}

/// `docket report …`
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Draft a suspicious-transaction report (goAML 5.0.2, PBOC/CAMLMAC BSTR or a review page)
    /// for a case raised by `docket screen`.
    #[command(
        after_help = "Examples:\n  docket report str C-MULE --format goaml --entity-id 1234 --entity-name 'Example Bank' --output str.xml\n  docket report str C-MULE --format camlmac --camlmac-ricd C1234567890123 --crime-type 1201 --output outbox/\n  docket report str C-MULE --format html --output case.html\n\nExit codes: 0 written, 2 unknown case or the draft is invalid (DK-E0701 lists each field and what to supply)."
    )]
    Str(Box<commands::str_report::StrArgs>),
    /// Approve a drafted report (four eyes: the approver must not be its preparer).
    #[command(
        after_help = "Examples:\n  docket report approve R-1 --user bob\n  DOCKET_USER=bob docket report approve R-1\n\nExit codes: 0 approved, 2 not a draft (DK-E0706), approver is the preparer (DK-E0704) or the file changed since drafting (DK-E0705)."
    )]
    Approve(commands::str_state::ReportIdArgs),
    /// Mark an approved report as filed with the regulator (records the time).
    #[command(
        after_help = "Examples:\n  docket report file R-1 --user bob\n\nExit codes: 0 filed, 2 not approved or already filed (DK-E0706) or the file changed since approval (DK-E0705)."
    )]
    File(commands::str_state::ReportIdArgs),
    /// Close an alert without a report; the reason is mandatory and recorded.
    #[command(
        after_help = "Examples:\n  docket report close-alert A-fan_in-MULE-F01 --reason 'payroll of a known employer' --user alice\n\nExit codes: 0 closed, 2 no reason, unknown alert, or already closed (DK-E0706)."
    )]
    CloseAlert(commands::str_state::CloseAlertArgs),
    /// List reports with state, preparer and approver.
    #[command(after_help = "Examples:\n  docket report list\n  docket report list --json")]
    List,
}

/// Runs the parsed command and returns the exit code.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    crate::logging::init(&cli.global);
    let g = &cli.global;
    match cli.command {
        Command::Extract(args) => commands::extract::run(g, &args),
        Command::Demo(args) => commands::demo::run(g, &args),
        Command::Run(args) => commands::run::run(g, &args),
        Command::Screen(args) => commands::screen::run(g, &args),
        Command::Daemon(a) => commands::daemon::run(g, &a),
        Command::Replay(a) => commands::replay::run(g, &a),
        Command::Record(a) => commands::record::run(g, &a),
        Command::Schedule(commands::daemon::ScheduleCommand::List(a)) => {
            commands::daemon::list(g, &a)
        }
        Command::Schedule(commands::daemon::ScheduleCommand::History(a)) => {
            commands::daemon::history(g, &a)
        }
        Command::Schedule(commands::daemon::ScheduleCommand::Pause(a)) => {
            commands::daemon::pause(g, &a)
        }
        Command::Schedule(commands::daemon::ScheduleCommand::Resume(a)) => {
            commands::daemon::resume(g, &a)
        }
        Command::Fleet(commands::fleet::FleetCommand::Enqueue(a)) => {
            commands::fleet::enqueue(g, &a)
        }
        Command::Fleet(commands::fleet::FleetCommand::Work(a)) => commands::fleet::work(g, &a),
        Command::Fleet(commands::fleet::FleetCommand::Status(a)) => commands::fleet::status(g, &a),
        Command::Fleet(commands::fleet::FleetCommand::Verify(a)) => commands::fleet::verify(g, &a),
        Command::Fleet(commands::fleet::FleetCommand::Bench(a)) => commands::fleet::bench(g, &a),
        Command::Report(ReportCommand::Str(args)) => commands::str_report::run(g, &args),
        Command::Report(ReportCommand::Approve(args)) => commands::str_state::approve(g, &args),
        Command::Report(ReportCommand::File(args)) => commands::str_state::file(g, &args),
        Command::Report(ReportCommand::CloseAlert(args)) => {
            commands::str_state::close_alert(g, &args)
        }
        Command::Report(ReportCommand::List) => commands::str_state::list(g),
        Command::Secret(cmd) => commands::secret::run(g, &cmd),
        Command::Audit(AuditCommand::Verify) => commands::audit::verify(g),
        Command::Audit(AuditCommand::Export(a)) => commands::audit::export_cmd(g, &a),
        Command::Serve(a) => commands::serve::run(g, &a),
        Command::User(c) => commands::user::run(g, &c),
        Command::Doctor => commands::doctor::run(g),
        Command::Explain(args) => commands::explain::run(g, &args),
        Command::Schema(args) => commands::schema::run(g, &args),
        Command::Bench(args) => commands::bench::run(g, &args),
        Command::Version => commands::version::run(g),
    }
}
