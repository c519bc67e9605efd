//! Suspicious-transaction report writers (issue 4): goAML 5.0.2 XML and PBOC/CAMLMAC XML from a
//! report draft, with a structural validator of the project's own. Pure: no I/O.
