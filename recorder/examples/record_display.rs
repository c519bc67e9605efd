//! Records on a display without the `docket` binary: `record_display OUT.yaml :N [--no-ocr]`
//! (stop with ctrl+alt+shift+s). For trying the recorder while the agent does not build.

#![allow(clippy::unwrap_used, clippy::expect_used)] // an example: a panic is the report

use std::sync::atomic::AtomicBool;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let ocr: Option<(Box<dyn docket_core::ocr::Ocr>, String)> =
        if args.iter().any(|a| a == "--no-ocr") {
            None
        } else {
            let e = docket_documents::ocr::TesseractEngine::new("eng").expect("tesseract");
            Some((Box::new(e), "eng".into()))
        };
    let opts = docket_recorder::RecordOptions {
        display: args[2].clone(),
        out: args[1].clone().into(),
        stop_key: docket_desktop::KeyCombo::parse("ctrl+alt+shift+s").unwrap(),
        secret_key: Some(docket_desktop::KeyCombo::parse("ctrl+alt+shift+p").unwrap()),
        secret_fields: Vec::new(),
        secret_name: None,
        ocr,
    };
    let stop = AtomicBool::new(false);
    let r = docket_recorder::record(opts, &stop, || println!("recording")).unwrap();
    println!("{r:?}");
}
