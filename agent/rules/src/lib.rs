//! Docket's AML screening rule engine (issue 4): streaming, windowed per-account rules over
//! normalised transactions, YAML rule packs, alerts and cases. Pure: no I/O.
