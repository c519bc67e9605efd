//! Turns Docket documents into schema records: the deterministic bank-statement layout reader and the arithmetic checks. Pure: no I/O.
