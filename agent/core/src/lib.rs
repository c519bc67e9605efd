//! Docket's domain core: the [`document::Document`] model that every digitiser produces, the
//! `bank_statement` schema types with provenance and checks, the stable error codes (`DK-E…`) with
//! their help pages, and the port traits through which the outside world (OCR engines, clocks) is
//! reached.
//!
//! This crate must never do I/O: its manifest has no I/O dependency, and it stays that way so that
//! everything in it is deterministic and testable without a machine around it.

pub mod codes;
pub mod document;
pub mod geometry;
pub mod hash;
pub mod ocr;
pub mod statement;

pub use codes::ErrorCode;
pub use document::{Cell, CellValue, Document, Page, Sheet, SourceInfo, TextOrigin, Word};
pub use geometry::BBox;
pub use statement::{Check, CheckStatus, Extraction, Provenance, StatementFields, Transaction};
