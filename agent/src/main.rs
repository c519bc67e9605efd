//! `docket`: thin entry point.
fn main() {}
