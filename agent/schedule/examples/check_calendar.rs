//! Checks calendar files and prints what they say: `cargo run -p docket-schedule --example
//! check_calendar -- FILE...`. Exit status 1 when any file is refused.

use std::path::Path;
use std::process::ExitCode;

use docket_schedule::Calendar;

fn main() -> ExitCode {
    let mut status = ExitCode::SUCCESS;
    for arg in std::env::args().skip(1) {
        match Calendar::load(Path::new(&arg)) {
            Ok(cal) => {
                let years = cal.years().iter().map(i32::to_string).collect::<Vec<_>>();
                println!(
                    "{arg}: {} ({}), years {}: {} holidays, {} worked weekend days",
                    cal.name(),
                    cal.description().unwrap_or(""),
                    years.join(", "),
                    cal.holidays().count(),
                    cal.working_days().count()
                );
            }
            Err(e) => {
                eprintln!("{e}");
                status = ExitCode::FAILURE;
            }
        }
    }
    status
}
