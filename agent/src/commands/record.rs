//! `docket record OUT.yaml`: records a UI workflow while the designer works the application
//!. Global mouse and keyboard capture through the X RECORD extension on `--display`,
//! `$DISPLAY`, or with `--headless` an Xvfb that Docket starts, owns and names on stdout (connect a
//! VNC viewer or xdotool to it); `--app` starts the application there. A screenshot at every press
//! gives each click its anchor crop, OCR text and label (Tesseract, unless `--no-ocr`). Stops on
//! the stop hotkey or SIGINT/SIGTERM and writes the script plus `OUT_anchors/`. Typing into a
//! password/PIN field, a `--secret-field`, or after the secret hotkey is written as a secret
//! reference: the characters are never printed, logged or written.

use anyhow::Result;
use clap::Args;
use docket_core::ErrorCode;
use docket_desktop::KeyCombo;
use docket_recorder::{RecordError, RecordOptions, Stopped};
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::cli::Global;
use crate::failure::Failure;

/// Arguments of `docket record`.
#[derive(Debug, Args)]
pub struct RecordArgs {
    /// The script to write (its anchors go to `<name>_anchors/` beside it).
    #[arg(value_name = "OUT.yaml")]
    pub out: PathBuf,
    /// X display to record (default: $DISPLAY).
    #[arg(long, value_name = ":N")]
    pub display: Option<String>,
    /// Start and own an Xvfb display for the recording; its name is printed.
    #[arg(long)]
    pub headless: bool,
    /// Screen size of the headless display.
    #[arg(long, default_value = "1920x1080", value_name = "WxH")]
    pub screen: String,
    /// Start this command (through `sh -c`) on the display first; stopped afterwards.
    #[arg(long, value_name = "COMMAND")]
    pub app: Option<String>,
    /// Typing into the field with this label (or caption) is a secret (repeatable); fields
    /// labelled password/passcode/PIN/Passwort/密码/口令 are secret anyway.
    #[arg(long = "secret-field", value_name = "LABEL")]
    pub secret_fields: Vec<String>,
    /// The secret-store name every secret step refers to (default: from the field's label).
    #[arg(long, value_name = "NAME")]
    pub secret_name: Option<String>,
    /// The hotkey that ends the recording (not recorded itself).
    #[arg(long, default_value = "ctrl+alt+shift+s", value_name = "COMBO")]
    pub stop_key: String,
    /// The hotkey that makes the next typing a secret (for a field entered with Tab).
    #[arg(long, default_value = "ctrl+alt+shift+p", value_name = "COMBO")]
    pub secret_key: String,
    /// Record without OCR: no text or label signals, and password fields are not recognised
    /// (use the secret hotkey).
    #[arg(long)]
    pub no_ocr: bool,
    /// OCR languages (Tesseract names joined by '+').
    #[arg(long, default_value = "eng", value_name = "LANGS")]
    pub lang: String,
}

fn combo(flag: &str, text: &str) -> Result<KeyCombo> {
    KeyCombo::parse(text).map_err(|e| {
        Failure::new(
            ErrorCode::BadUsage,
            format!("{flag} '{text}': {e} (write e.g. ctrl+alt+shift+s)"),
        )
        .into()
    })
}

/// Runs `docket record`.
pub fn run(g: &Global, args: &RecordArgs) -> Result<i32> {
    let stop_key = combo("--stop-key", &args.stop_key)?;
    let secret_key = combo("--secret-key", &args.secret_key)?;
    if stop_key == secret_key {
        return Err(Failure::new(
            ErrorCode::BadUsage,
            "--stop-key and --secret-key must differ",
        )
        .into());
    }
    if let Some(n) = &args.secret_name
        && !crate::secrets::is_valid_name(n)
    {
        return Err(Failure::new(
            ErrorCode::BadUsage,
            format!("--secret-name '{n}': use lowercase letters, digits, '-', '_' or '.'"),
        )
        .into());
    }
    if args.no_ocr && !args.secret_fields.is_empty() {
        return Err(Failure::new(
            ErrorCode::BadUsage,
            "--secret-field needs OCR to read field labels: drop --no-ocr, or use the secret hotkey",
        )
        .into());
    }
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        return Err(Failure::new(
            ErrorCode::BadUsage,
            format!("{}: the folder does not exist", dir.display()),
        )
        .into());
    }
    let (w, h) = super::desktop_session::parse_screen(&args.screen)?;
    let ocr: Option<(Box<dyn docket_core::ocr::Ocr>, String)> = if args.no_ocr {
        None
    } else {
        let engine = docket_documents::ocr::TesseractEngine::new(&args.lang).map_err(|e| {
            Failure::new(
                ErrorCode::OcrUnavailable,
                format!("{e} (or record with --no-ocr)"),
            )
        })?;
        Some((Box::new(engine), args.lang.clone()))
    };
    let session = super::desktop_session::open(
        args.headless,
        (w, h),
        args.display.as_deref(),
        args.app.as_deref(),
    )?;
    let display = session.display.clone();
    if session.headless() {
        // A designer connects a VNC viewer or xdotool to it.
        println!("headless display {display} ({w}x{h})");
    }
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, stop.clone())?;
    }
    if ocr.is_none() {
        eprintln!(
            "warning: --no-ocr: password fields cannot be recognised; press {} before typing a secret",
            args.secret_key
        );
    }
    let opts = RecordOptions {
        display: display.clone(),
        out: args.out.clone(),
        stop_key,
        secret_key: Some(secret_key),
        secret_fields: args.secret_fields.clone(),
        secret_name: args.secret_name.clone(),
        ocr,
    };
    let json = g.json;
    let stop_text = args.stop_key.clone();
    let rec = docket_recorder::record(opts, &stop, || {
        if json {
            println!("{}", json!({"recording": display, "stop_key": stop_text}));
        } else {
            println!("recording on {display}: stop with {stop_text} or Ctrl-C");
        }
    })
    .map_err(|e| -> anyhow::Error {
        match e {
            RecordError::Display { .. } | RecordError::Capture(_) => {
                Failure::new(ErrorCode::DisplayUnavailable, e.to_string()).into()
            }
            RecordError::Invalid(_) => {
                Failure::new(ErrorCode::WorkflowInvalid, e.to_string()).into()
            }
            RecordError::Write { .. } => anyhow::Error::new(e),
        }
    })?;
    for n in &rec.notes {
        eprintln!("note: {n}");
    }
    let how = match rec.stopped {
        Stopped::Hotkey => "hotkey",
        Stopped::Signal => "signal",
    };
    if g.json {
        println!(
            "{}",
            json!({"script": rec.yaml.display().to_string(), "anchors": rec.anchors.display().to_string(),
                   "steps": rec.steps, "secrets": rec.secrets, "notes": rec.notes, "stopped_by": how})
        );
    } else {
        println!(
            "recorded {} step(s) ({} secret) into {}; anchors in {}",
            rec.steps,
            rec.secrets,
            rec.yaml.display(),
            rec.anchors.display()
        );
    }
    Ok(0)
}
