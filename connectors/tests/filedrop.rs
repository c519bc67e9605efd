//! The file-drop sink against real temp folders: atomic files, idempotent re-runs, the key index.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::*;
use docket_connectors::{FileDropSink, FileFormat, Sink, SinkSpec, open};
use docket_core::ErrorCode;

fn sink(dir: &Path, format: FileFormat) -> Box<dyn Sink> {
    open(&SinkSpec::FileDrop {
        dir: dir.to_owned(),
        format,
    })
    .unwrap()
}

/// Files a poller would pick up (not dot-named).
fn dropped(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    v.sort();
    v
}

fn hidden(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    v.sort();
    v
}

#[test]
fn csv_batches_are_written_once_with_exact_values() {
    let dir = tempfile::tempdir().unwrap();
    let drop_dir = dir.path().join("outbox");
    let recs = records("stmt-a", 47);
    let mut s = sink(&drop_dir, FileFormat::Csv);
    let out = s.write_batch("transactions", &recs).unwrap();
    assert_eq!((out.inserted, out.duplicates), (47, 0));
    let again = s.write_batch("transactions", &recs).unwrap();
    assert_eq!((again.inserted, again.duplicates), (0, 47));
    let fresh = sink(&drop_dir, FileFormat::Csv)
        .write_batch("transactions", &recs)
        .unwrap();
    assert_eq!((fresh.inserted, fresh.duplicates), (0, 47));

    let files = dropped(&drop_dir);
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("transactions-") && name.ends_with(".csv"),
        "{name}"
    );
    assert_eq!(
        hidden(&drop_dir),
        vec![".docket-keys", ".docket-lock"],
        "no temp files left"
    );

    let mut rdr = csv::Reader::from_path(&files[0]).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(
        header,
        [
            "docket_key",
            "booked_on",
            "booked_at",
            "description",
            "amount",
            "line_no"
        ]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 47);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(&row[0], recs[i].key);
        assert_eq!(&row[1], date(i).format("%Y-%m-%d").to_string());
        assert_eq!(row[2].is_empty(), i.is_multiple_of(3));
        assert_eq!(&row[3], format!("Transfer {i} 转账 \"quoted\", comma"));
        assert_eq!(&row[4], amount(i));
        assert_eq!(&row[5], i.to_string());
    }
}

#[test]
fn jsonl_keeps_decimals_as_exact_strings() {
    let dir = tempfile::tempdir().unwrap();
    let recs = records("stmt-b", 12);
    let out = sink(dir.path(), FileFormat::Jsonl)
        .write_batch("tx", &recs)
        .unwrap();
    assert_eq!(out.inserted, 12);
    let files = dropped(dir.path());
    assert_eq!(files.len(), 1);
    assert!(files[0].to_string_lossy().ends_with(".jsonl"));
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 12);
    for (i, v) in lines.iter().enumerate() {
        assert_eq!(v["docket_key"], recs[i].key.as_str());
        assert_eq!(v["amount"], amount(i), "decimal as an exact string");
        assert_eq!(v["line_no"], i as i64);
        assert_eq!(v["booked_at"].is_null(), i.is_multiple_of(3));
    }
}

#[test]
fn the_index_remembers_keys_after_the_back_office_took_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let recs = records("stmt-c", 20);
    let mut s = sink(dir.path(), FileFormat::Csv);
    s.write_batch("tx", &recs[..10]).unwrap();
    for f in dropped(dir.path()) {
        std::fs::remove_file(f).unwrap();
    }
    let keys: Vec<String> = recs.iter().map(|r| r.key.clone()).collect();
    // Another process (a resumed run) sees exactly the first ten.
    let mut other = sink(dir.path(), FileFormat::Csv);
    assert_eq!(
        other.already_written("tx", &keys).unwrap(),
        keys[..10].to_vec()
    );
    assert!(
        other
            .already_written("other_table", &keys)
            .unwrap()
            .is_empty()
    );
    // An overlapping batch writes only the new half, as one new file.
    let out = other.write_batch("tx", &recs[5..20]).unwrap();
    assert_eq!((out.inserted, out.duplicates), (10, 5));
    let files = dropped(dir.path());
    assert_eq!(files.len(), 1);
    let n = csv::Reader::from_path(&files[0]).unwrap().records().count();
    assert_eq!(n, 10);
    assert_eq!(s.already_written("tx", &keys).unwrap(), keys);
}

#[test]
fn a_rerun_after_losing_the_index_finds_the_dropped_file() {
    // A crash between the rename and the index append leaves the file but not its keys.
    let dir = tempfile::tempdir().unwrap();
    let recs = records("stmt-d", 8);
    sink(dir.path(), FileFormat::Jsonl)
        .write_batch("tx", &recs)
        .unwrap();
    let before = std::fs::read(&dropped(dir.path())[0]).unwrap();
    std::fs::remove_file(dir.path().join(".docket-keys")).unwrap();
    let mut s = sink(dir.path(), FileFormat::Jsonl);
    let out = s.write_batch("tx", &recs).unwrap();
    assert_eq!((out.inserted, out.duplicates), (0, 8));
    let files = dropped(dir.path());
    assert_eq!(files.len(), 1);
    assert_eq!(
        std::fs::read(&files[0]).unwrap(),
        before,
        "file left untouched"
    );
    let keys: Vec<String> = recs.iter().map(|r| r.key.clone()).collect();
    assert_eq!(
        s.already_written("tx", &keys).unwrap(),
        keys,
        "keys re-indexed"
    );
}

#[test]
fn a_damaged_index_tail_is_ignored_and_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let recs = records("stmt-e", 4);
    let mut s = sink(dir.path(), FileFormat::Csv);
    s.write_batch("tx", &recs[..2]).unwrap();
    // A writer died mid-line.
    let index = dir.path().join(".docket-keys");
    let mut text = std::fs::read_to_string(&index).unwrap();
    text.push_str("tx 12ab");
    std::fs::write(&index, text).unwrap();
    let out = sink(dir.path(), FileFormat::Csv)
        .write_batch("tx", &recs)
        .unwrap();
    assert_eq!((out.inserted, out.duplicates), (2, 2));
    let keys: Vec<String> = recs.iter().map(|r| r.key.clone()).collect();
    assert_eq!(
        sink(dir.path(), FileFormat::Csv)
            .already_written("tx", &keys)
            .unwrap(),
        keys
    );
}

#[test]
fn hostile_names_never_become_paths() {
    let dir = tempfile::tempdir().unwrap();
    let inner = dir.path().join("drop");
    let mut s = sink(&inner, FileFormat::Csv);
    for name in ["../escape", "/etc/passwd", "a/b", "..", "tx.csv", ""] {
        let e = s.write_batch(name, &records("stmt-f", 1)).unwrap_err();
        assert_eq!(e.code, ErrorCode::SinkRejected, "{name:?}");
    }
    assert!(dropped(&inner).is_empty());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "nothing written beside the drop folder"
    );
}

#[test]
fn two_concurrent_writers_with_the_same_keys_drop_each_key_once() {
    let dir = tempfile::tempdir().unwrap();
    let recs = records("stmt-g", 300);
    let outcomes: Vec<(usize, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let (recs, path) = (&recs, dir.path());
                scope.spawn(move || {
                    let mut s = FileDropSink::open(path, FileFormat::Csv).unwrap();
                    let mut total = (0, 0);
                    for chunk in recs.chunks(30) {
                        let o = s.write_batch("tx", chunk).unwrap();
                        total.0 += o.inserted;
                        total.1 += o.duplicates;
                    }
                    total
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let inserted: usize = outcomes.iter().map(|o| o.0).sum();
    assert_eq!(inserted, 300, "{outcomes:?}");
    let mut keys: Vec<String> = dropped(dir.path())
        .iter()
        .flat_map(|f| {
            csv::Reader::from_path(f)
                .unwrap()
                .records()
                .map(|r| r.unwrap()[0].to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    keys.sort();
    let before = keys.len();
    keys.dedup();
    assert_eq!((before, keys.len()), (300, 300));
}

#[test]
fn an_unwritable_folder_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, b"x").unwrap();
    let e = FileDropSink::open(&file.join("sub"), FileFormat::Csv)
        .err()
        .unwrap();
    assert_eq!(e.code, ErrorCode::SinkUnavailable);
    assert!(e.message.contains("not-a-folder"), "{}", e.message);
}
