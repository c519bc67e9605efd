//! The one registry of stable error codes (`DK-E…`). Every user-facing failure names one; `docket
//! explain CODE` prints its help page from here. Codes are never renumbered or reused: add new ones
//! at the end of their block.

use serde::Serialize;

/// How a failure should be handled by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Bad input: quarantine the item, go on with the rest; exit code 2 when it is all there was.
    Reject,
    /// An outside system failed: retry later; exit code 3.
    Retry,
    /// The job ran but a person must look (failed checks, low confidence); exit code 1.
    Review,
    /// Misconfiguration or a broken installation: stop; exit code 2.
    Fatal,
}

impl Class {
    /// The process exit code documented in DESIGN.md for this class.
    pub fn exit_code(self) -> i32 {
        match self {
            Class::Review => 1,
            Class::Reject | Class::Fatal => 2,
            Class::Retry => 3,
        }
    }
}

macro_rules! codes {
    ($( $variant:ident = $code:literal, $class:ident, $title:literal, $help:literal; )*) => {
        /// A stable error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $(
                #[doc = $title]
                $variant,
            )*
        }

        impl ErrorCode {
            /// Every code, in order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The first registered code a message names (`DK-E0603: run … never finished`), so
            /// the hint under a message points at the page that explains it.
            pub fn named_in(message: &str) -> Option<ErrorCode> {
                message
                    .match_indices("DK-E")
                    .find_map(|(i, _)| {
                        let code = message.get(i..i + 8)?;
                        Self::ALL.iter().copied().find(|c| c.code() == code)
                    })
            }

            /// The code as printed, e.g. `DK-E0101`.
            pub fn code(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code),* }
            }

            /// One-line title.
            pub fn title(self) -> &'static str {
                match self { $(ErrorCode::$variant => $title),* }
            }

            /// The help page: what it means and what to do.
            pub fn help(self) -> &'static str {
                match self { $(ErrorCode::$variant => $help),* }
            }

            /// How callers handle it.
            pub fn class(self) -> Class {
                match self { $(ErrorCode::$variant => Class::$class),* }
            }
        }
    };
}

codes! {
    // 01xx: input files
    UnsupportedFile = "DK-E0101", Reject, "file type not supported or not what its name says",
        "The file's bytes do not match any format Docket reads (PDF, PNG, JPEG, TIFF, XLSX, XLS, XLSB, ODS, CSV, TSV, OFX, SWIFT MT940, ISO 20022 camt.053), or they do not match its extension (for example a text file named .pdf). Export the document again in one of those formats, or rename it to its real type. The file was moved to quarantine/ with a reason file; the rest of the batch went on.";
    EmptyFile = "DK-E0102", Reject, "file is empty",
        "The file has zero bytes, usually an interrupted download or copy. Fetch the document again. The file was quarantined; nothing was written for it.";
    CorruptPdf = "DK-E0103", Reject, "PDF is damaged and cannot be read",
        "The PDF's structure (header, cross-reference table or objects) is broken. Open it in a PDF viewer: if it fails there too, ask the sender for a new copy; if it opens, print it to a new PDF and drop that in the inbox.";
    Encrypted = "DK-E0104", Reject, "document is password-protected and no password was given",
        "The PDF or workbook is encrypted. Store its password with `docket secret set NAME` and reference it from the workflow's ingest step (`password_secret: NAME`), or set DOCKET_DOCUMENT_PASSWORD for a one-off `docket extract`. Docket never guesses passwords.";
    WrongPassword = "DK-E0105", Reject, "the password for this document is wrong",
        "A password was supplied but does not open the document. Check the secret named in the workflow's ingest step.";
    NoPages = "DK-E0106", Reject, "PDF has no pages",
        "The PDF parses but its page tree is empty. Ask the sender for a complete copy.";
    CorruptWorkbook = "DK-E0107", Reject, "spreadsheet is damaged or truncated",
        "The workbook could not be opened (truncated download, broken zip, or not really a spreadsheet). Open and re-save it in a spreadsheet program, or export it again from the bank's portal.";
    ArchiveBomb = "DK-E0108", Reject, "file expands to an unsafe size (possible zip bomb)",
        "The workbook's zip container declares far more uncompressed data than any statement needs (or an extreme compression ratio). It was not opened. If the file is genuine, split it; otherwise report it to security.";
    BadEncoding = "DK-E0109", Reject, "text file is in an encoding Docket cannot decode",
        "The CSV/TSV is not valid UTF-8, UTF-16 (with BOM) or GB18030/GBK. Re-export it as UTF-8.";
    FileTooLarge = "DK-E0110", Reject, "file exceeds the size limit",
        "The file is larger than the configured limit (`max_file_mb`, default 200 MB). Raise the limit in the ingest step if the file is genuine.";
    NoStatementFound = "DK-E0111", Reject, "no transaction table found in the document",
        "Docket found no header row with a date and an amount column (English or Chinese vocabulary). If this is not a bank statement, use another schema; if it is, its layout is new: run with an LLM endpoint configured, or report the layout so the reader can learn it.";
    OcrUnavailable = "DK-E0112", Fatal, "OCR engine or language data is missing",
        "Tesseract or one of its language packs could not be loaded. On Debian: `apt-get install libtesseract5 tesseract-ocr-eng tesseract-ocr-chi-sim`. `docket doctor` shows what is missing.";
    ImageUnreadable = "DK-E0113", Reject, "image cannot be decoded",
        "The image (or an image inside a scanned PDF) is damaged or uses an encoding Docket cannot decode (for example JBIG2). Scan it again as PNG, JPEG or TIFF.";
    CorruptStatementFile = "DK-E0114", Reject, "statement file (OFX, MT940, camt.053) is damaged or incomplete",
        "The OFX, SWIFT MT940 or ISO 20022 camt.053 file breaks its format: it was cut off (a tag or block is never closed), it holds no statement or no transaction lines, or a value the statement needs is missing or unreadable (an amount, a date, a debit/credit mark). The message names the line and the field. Download or export the statement again from the bank's portal; if every export of that bank looks like this, report the message with the file's first lines so the reader can learn the variant. The file was moved to quarantine/ with a reason file; the rest of the batch went on.";
    ImageTooLarge = "DK-E0115", Reject, "image has more pixels than the decoding budget",
        "The image (or an image inside a scanned PDF) would decode to more pixels than the budget allows, so Docket refused it before allocating its memory (a 20000 x 20000 scan needs 400 million pixels, over a gigabyte once decoded and prepared for OCR). The message names the file, its size in pixels and the budget. A statement page needs about 8.7 million pixels at 300 dpi (A4): scan it again at 300 dpi, or reduce the image (for example `convert big.png -resize 25% page.png`) and drop that in the inbox. If the image is genuine and the machine has the memory, raise the budget with `max_image_mpx` in the workflow's ingest step (or `docket extract --max-image-mpx N`). The file was moved to quarantine/ with a reason file; the rest of the batch went on.";
    PoisonFile = "DK-E0116", Reject, "the agent died twice while reading this document",
        "Two attempts to read this document never completed: the agent's process was killed or ran out of memory while it was digitising or extracting it (a memory limit such as `ulimit -v` or a container cap, the kernel's out-of-memory killer, an operator's kill, a run time-out). So that it cannot stop the rest of the inbox again, it was moved to quarantine/ with a reason file that lists the attempts; its bytes are unchanged and nothing was written for it. To retry it: give the agent more memory (or raise the cap), or split the file into smaller documents (for example one export per month or per account), then move it (or the parts) back into the inbox; the next run reads it again. In fleet mode the same holds for a document whose lease expired twice because its agent died.";
    // 02xx: workflows, schemas, configuration
    WorkflowInvalid = "DK-E0201", Fatal, "workflow file is invalid",
        "The workflow YAML has problems; each is listed with its line and column. Fix them and run `docket run --check FLOW.yaml` to validate without executing. The JSON Schema for editors is printed by `docket schema workflow`.";
    UnknownSchema = "DK-E0202", Fatal, "unknown extraction schema",
        "The schema is neither a built-in name (bank_statement, transfer_slip, invoice, kyc_form) nor a readable JSON Schema file. `docket schema list` shows the built-in schemas.";
    NoReaderForSchema = "DK-E0203", Review, "no extractor is available for this schema",
        "Custom JSON Schemas are filled by the LLM extraction step. Configure an endpoint (DOCKET_LLM_URL and DOCKET_LLM_MODEL, or --llm-url/--llm-model) or use a built-in schema with a deterministic reader (bank_statement).";
    BadUsage = "DK-E0204", Fatal, "bad command-line usage",
        "An argument is missing or invalid. `docket help COMMAND` shows the usage with examples.";
    SecretMissing = "DK-E0205", Fatal, "a secret the flow names is not in the secret store",
        "The workflow refers to a secret by name (`password_secret`, `url_secret`, `bearer_secret` …) that is not stored. Store it with `docket secret set NAME` (the value is read from the terminal or stdin, never from the command line) and run again. `docket secret list` shows the names that exist.";
    SecretStoreLocked = "DK-E0206", Fatal, "the secret store cannot be opened",
        "The encrypted secret store could not be decrypted or read: the key file is missing, has permissions wider than 0600, is not the key the store was written with, or the store file was altered. Restore the key file (its path is printed) or, if it is lost, create a new store and set the secrets again.";
    CalendarInvalid = "DK-E0207", Fatal, "a business calendar file is invalid",
        "The working-day calendar named by a schedule could not be read: a date is malformed, a day is listed both as a holiday and as a working day, or the file is missing. The message names the file, line and value. Calendars are YAML files (see installer/calendars/).";
    LlmMisconfigured = "DK-E0208", Fatal, "the LLM endpoint is configured wrongly or refused the request",
        "The LLM settings cannot work: the URL is not http(s)://…/v1, no model is named, --no-redact was given for an endpoint that is not on this machine, or the endpoint refused the request (wrong API key, unknown model). Set DOCKET_LLM_URL, DOCKET_LLM_MODEL and the key (DOCKET_LLM_API_KEY or `docket secret set llm_api_key`), or pass --llm-url/--llm-model. `docket doctor` shows which extractors are active.";
    // 03xx: outside systems
    SinkUnavailable = "DK-E0301", Retry, "back-office target is unreachable",
        "The database or service the flow writes to did not answer. Nothing was lost: pending records stay in the run's outbox and are written when the run is resumed (`docket run FLOW.yaml` again). Check the connection string and that the service is up.";
    SinkRejected = "DK-E0302", Reject, "back-office target rejected a record",
        "The target refused the record (constraint, type or permission error). The record and the target's message are in the run store; fix the table mapping or the target and resume.";
    StoreUnavailable = "DK-E0303", Fatal, "run store cannot be opened",
        "Docket could not open or migrate its run store (SQLite file under the data dir, or the --store URL). Check permissions of the data dir (`--data-dir`) and free disk space.";
    SinkMisconfigured = "DK-E0304", Fatal, "back-office target is configured wrongly",
        "The sink's configuration cannot work whatever is retried: a malformed URL, an unsupported scheme, a missing table name, a credential of the wrong shape. Fix the workflow's `sink:` section (`docket run --check FLOW.yaml`) or the secret it names.";
    NotifyFailed = "DK-E0305", Retry, "a failure alert could not be delivered",
        "Docket tried to tell someone that a flow keeps failing (webhook or e-mail) and the receiver did not accept it. The flow keeps its schedule; the alert is retried at the next failure. Check the webhook URL or SMTP settings and that the receiver is up.";
    RunTimedOut = "DK-E0306", Retry, "a run exceeded its time limit",
        "The flow ran longer than its schedule's `timeout`. Its work so far is kept in the run store (outbox, claimed files) and the next run resumes it. Raise the timeout if the flow legitimately needs longer, or look for a stuck step in the run's log.";
    LlmUnavailable = "DK-E0307", Retry, "the LLM endpoint did not answer",
        "The model server timed out, answered 429 or 5xx, or sent unreadable answers through every retry (with backoff and Retry-After). Nothing was written for the document; run again later. Check that the server is up (`curl URL/models`) and not overloaded; lower the concurrency if it answers 429 often.";
    // 04xx: audit
    LedgerTampered = "DK-E0401", Review, "run ledger does not verify",
        "An entry of the run ledger was edited, removed or reordered after it was written: its hash does not match, or the chain skips. The output names the first entry that fails. Treat the runs after it as unproven and investigate who had write access to the data dir.";
    // 05xx: results that need a person
    ChecksFailed = "DK-E0501", Review, "extracted data failed its checks",
        "An arithmetic or consistency check failed (opening + sum of amounts ≠ closing, a running balance that does not follow, a totals row that disagrees). The document was marked for review and its records were not written. Compare the document with the extraction output (`docket extract FILE`).";
    LlmAnswerInvalid = "DK-E0502", Review, "the model's answers did not fit the schema",
        "The model answered, but every answer (including the re-asks that named the problems) broke the JSON Schema or was cut off. The document needs a person, or a larger model: check the schema is satisfiable, raise the model's context or output limit, or use a model that supports structured output.";
    LlmAnswerTruncated = "DK-E0503", Review, "the model's answer was cut off at its output limit",
        "The model used every output token it was allowed (the limit is what the schema can need for this document, so a conforming answer fits) and stopped mid-answer: it was looping or repeating itself, which small local models do when the server cannot constrain their output. Docket did not ask again, since that would loop the same way; the document was set aside for a person with this reason. Use a larger model, a server that supports JSON Schema or grammar-constrained output (llama.cpp's server and llama-cpp-python accept the GBNF grammar Docket sends), or split a very long document.";
    // 07xx: screening and regulatory filings
    FilingInvalid = "DK-E0701", Reject, "suspicious-transaction report draft is incomplete or invalid",
        "The STR draft misses data the FIU format requires, or a value is not in its code list (currency, country, transmode, indicator). Each problem names the field path and what to supply. Complete the case data and draft the report again; for PBOC/CAMLMAC reports, fields the specification allows to be unknown are written as @N.";
    RulePackInvalid = "DK-E0702", Fatal, "screening rule pack is invalid",
        "The rule pack YAML has problems (unknown rule or parameter, bad value, wrong unit such as `window: 3 parsecs`); each is listed with its line and column. Durations are written `30m`, `48h`, `3d`; shares `90%`; amounts `50000 CNY`. The default pack (agent/rules/packs/default.yaml) documents every parameter.";
    ScreeningInputInvalid = "DK-E0703", Reject, "transactions to screen are incomplete or unreadable",
        "A transfer table or extraction file could not be turned into transactions: a required column (from_account, to_account, amount, timestamp) is missing — rename columns with `--map NEW=OLD` —, or a row has an empty account, an amount that is not a decimal, or a timestamp that is not a date. The message names the file, row and column.";
    FourEyes = "DK-E0704", Reject, "a report cannot be approved by the person who prepared it",
        "Suspicious-transaction reports follow the four-eyes principle: the approver must be a different person from the preparer recorded when the draft was written. Ask a second officer to run `docket report approve REPORT_ID --user NAME` (or with DOCKET_USER set to their name); `docket report list` shows who prepared each report.";
    ReportChanged = "DK-E0705", Reject, "the report file changed since it was drafted or approved",
        "The SHA-256 of the report file no longer matches the hash recorded in the run store when the report was drafted (or approved). Someone edited, replaced or removed the file. Do not approve or file it: inspect the file, then draft the report again with `docket report str CASE_ID …`, which records a new draft.";
    ReportState = "DK-E0706", Reject, "the report or alert is not in a state that allows this step",
        "Reports move draft → approved → filed, once each: only a draft can be approved, only an approved report can be filed, and a closed alert cannot be closed again. `docket report list` shows each report's state; draft a new report if a filed one must be replaced.";
    // 06xx: environment
    DisplayUnavailable = "DK-E0601", Fatal, "no X display available",
        "UI steps need an X display. Set DISPLAY, or install Xvfb (`apt-get install xvfb`) so Docket can start a headless display.";
    UiStepFailed = "DK-E0602", Review, "a UI step could not find its target on the screen",
        "A replayed step looked for its anchor (a picture of the button or field it acts on) and the best match on the screen scored below the threshold, so Docket stopped rather than click somewhere wrong. The message names the step, the anchor, the best score and a screenshot of the screen at that moment. Check the screenshot: a dialog in the way, a changed application, or a different theme; record the step again if the application changed. Records already entered before the failing one are listed in the ledger.";
    UiEntryInDoubt = "DK-E0603", Review, "an earlier run started entering this record into the application and never finished",
        "The agent stopped (killed, crashed or the machine went down) while it was typing this record into the desktop application, so the application may or may not have saved it. Docket does not enter it again on its own, because that could enter it twice. Look in the application for the record (the screenshots of the interrupted entry are in the evidence folder the message names) and enter it by hand if it is missing. If the UI script itself checks the application for the record before typing it, set `in_doubt: reenter` on the `ui` target and such records are entered again.";
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl std::str::FromStr for ErrorCode {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_uppercase();
        let wanted = if wanted.starts_with("DK-") {
            wanted
        } else {
            format!("DK-{wanted}")
        };
        ErrorCode::ALL
            .iter()
            .copied()
            .find(|c| c.code() == wanted)
            .ok_or(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_parse_back() {
        let mut seen = HashSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.code()), "duplicate {}", c.code());
            assert_eq!(c.code().parse::<ErrorCode>(), Ok(*c));
            assert!(c.help().len() > 40, "{} needs a real help page", c.code());
        }
        assert_eq!("e0102".parse::<ErrorCode>(), Ok(ErrorCode::EmptyFile));
        assert_eq!(ErrorCode::SinkUnavailable.class().exit_code(), 3);
    }

    #[test]
    fn a_message_names_its_code() {
        let m = "record 3f refused: DK-E0603: run R started entering this record";
        assert_eq!(ErrorCode::named_in(m), Some(ErrorCode::UiEntryInDoubt));
        assert_eq!(
            ErrorCode::named_in("DK-E9999 then DK-E0602"),
            Some(ErrorCode::UiStepFailed)
        );
        assert_eq!(ErrorCode::named_in("constraint failed"), None);
        assert_eq!(ErrorCode::named_in("ends in DK-E06"), None);
    }
}
