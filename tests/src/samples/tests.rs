//! Checks on the generated samples themselves: deterministic bytes, truth that adds up, text
//! layers that `pdftotext -layout` reads back, images of the promised size, broken files that
//! are broken in the intended way.

use super::*;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use std::process::Command;
use std::str::FromStr;

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../installer/demo")
}

fn dec(v: &serde_json::Value) -> Decimal {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("not a decimal string: {v}"));
    let (_, frac) = s
        .split_once('.')
        .unwrap_or_else(|| panic!("no decimals in {s}"));
    assert_eq!(frac.len(), 2, "{s} must have exactly two decimals");
    Decimal::from_str(s).unwrap()
}

#[test]
fn demo_set_is_deterministic_and_matches_the_committed_files() {
    let a = demo_set().unwrap();
    let b = demo_set().unwrap();
    assert_eq!(a.len(), 6);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.name, y.name);
        assert_eq!(
            sha(&x.bytes),
            sha(&y.bytes),
            "{} differs between runs",
            x.name
        );
        let committed = std::fs::read(demo_dir().join("inbox").join(&x.name)).unwrap();
        assert_eq!(
            sha(&committed),
            sha(&x.bytes),
            "installer/demo/inbox/{} is stale: run `cargo run -p docket-e2e --bin gen-samples -- \
             installer/demo/inbox --truth installer/demo/truth`",
            x.name
        );
        let truth = std::fs::read_to_string(
            demo_dir()
                .join("truth")
                .join(format!("{}.truth.json", x.name)),
        )
        .unwrap();
        assert_eq!(
            truth,
            x.truth.to_json().unwrap(),
            "truth of {} is stale",
            x.name
        );
    }
    let total: usize = a.iter().map(|s| s.bytes.len()).sum();
    assert!(total < 4 * 1024 * 1024, "demo set is {total} bytes");
}

#[test]
fn committed_truth_adds_up() {
    let dir = demo_dir().join("truth");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let records = v["records"].as_array().unwrap();
        assert!(records.len() >= 10, "{}", path.display());
        let fields = &v["fields"];
        for key in [
            "account_holder",
            "account_number",
            "currency",
            "period_start",
            "period_end",
        ] {
            assert!(fields[key].is_string(), "{} lacks {key}", path.display());
        }
        let currency = fields["currency"].as_str().unwrap();
        let mut balance = if fields["opening_balance"].is_null() {
            dec(&records[0]["balance"]) - dec(&records[0]["amount"])
        } else {
            dec(&fields["opening_balance"])
        };
        let mut last_date = String::new();
        for r in records {
            balance += dec(&r["amount"]);
            assert_eq!(
                balance,
                dec(&r["balance"]),
                "running balance in {}",
                path.display()
            );
            assert_eq!(r["currency"], currency);
            let date = r["date"].as_str().unwrap().to_string();
            assert!(
                date.len() == 10 && date >= last_date,
                "date order in {}",
                path.display()
            );
            assert!(r["time"].is_null() || r["time"].as_str().unwrap().len() == 8);
            last_date = date;
        }
        if !fields["closing_balance"].is_null() {
            assert_eq!(
                balance,
                dec(&fields["closing_balance"]),
                "{}",
                path.display()
            );
        }
        seen += 1;
    }
    assert_eq!(seen, 6);
}

fn pdftotext(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) must be installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn digital_pdfs_read_back_with_every_amount_and_header() {
    for (flavour, currency) in [(Flavour::English, "GBP"), (Flavour::Chinese, "CNY")] {
        let s = Statement::generate(&Spec::march_2026(flavour, currency, 11, 45));
        let sample = digital_pdf("x.pdf", &s).unwrap();
        assert!((2..=3).contains(&sample.pages), "{} pages", sample.pages);
        let text = pdftotext(&sample.bytes);
        let pages: Vec<&str> = text
            .split('\u{c}')
            .filter(|p| !p.trim().is_empty())
            .collect();
        assert_eq!(pages.len(), sample.pages);
        let (header, footer, labels): (&str, String, Vec<String>) = match flavour {
            Flavour::English => (
                "Paid Out",
                format!("Page 1 of {}", sample.pages),
                vec![
                    format!("Account Holder: {}", s.holder),
                    format!("Account Number: {}", s.account_number),
                    "Statement Period: 01 Mar 2026 to 31 Mar 2026".into(),
                    "Opening Balance".into(),
                    "Closing Balance".into(),
                    "Total".into(),
                ],
            ),
            Flavour::Chinese => (
                "交易日期",
                format!("第1页 共{}页", sample.pages),
                vec![
                    format!("户名：{}", s.holder),
                    format!("账号：{}", s.account_number),
                    "币种：人民币".into(),
                    "起止日期：2026-03-01 至 2026-03-31".into(),
                    "期初余额".into(),
                    "期末余额".into(),
                    "合计".into(),
                    "交易时间".into(),
                    "摘要".into(),
                    "对方户名".into(),
                    "对方账号".into(),
                    "收入".into(),
                    "支出".into(),
                    "余额".into(),
                ],
            ),
        };
        for page in &pages {
            assert!(page.contains(header), "table header missing on a page");
        }
        assert!(text.contains(&footer), "footer {footer} missing");
        for l in labels {
            assert!(text.contains(&l), "{l:?} missing from:\n{text}");
        }
        for e in &s.entries {
            assert!(
                text.contains(&layout::money(e.amount)),
                "amount {} missing",
                e.amount
            );
            assert!(
                text.contains(&layout::money(e.balance)),
                "balance {} missing",
                e.balance
            );
            if let Some(a) = &e.counterparty_account {
                assert!(text.contains(a.as_str()));
            }
        }
        assert!(text.contains(&layout::money(s.total_debits())));
        assert!(text.contains(&layout::money(s.total_credits())));
    }
}

#[test]
fn scanned_png_has_the_page_size_and_dpi() {
    let bytes = std::fs::read(demo_dir().join("inbox/scan-zh-cny-2026-03.png")).unwrap();
    let img = image::load_from_memory(&bytes).unwrap();
    // A4 landscape at 200 dpi.
    assert_eq!((img.width(), img.height()), (2339, 1654));
    let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
    let reader = decoder.read_info().unwrap();
    let dims = reader.info().pixel_dims.unwrap();
    assert_eq!((dims.xppu, dims.yppu), (7874, 7874));
    assert_eq!(dims.unit, png::Unit::Meter);
}

#[test]
fn scanned_pdf_has_one_jpeg_per_page_and_no_text() {
    let bytes = std::fs::read(demo_dir().join("inbox/scan-en-usd-2026-03.pdf")).unwrap();
    let doc = lopdf::Document::load_mem(&bytes).unwrap();
    let pages = doc.get_pages();
    assert_eq!(pages.len(), 2);
    for id in pages.values() {
        let images = doc.get_page_images(*id).unwrap();
        assert_eq!(images.len(), 1);
        let img = image::load_from_memory(images[0].content).unwrap();
        assert_eq!((img.width(), img.height()), (1654, 2339));
    }
    assert!(
        pdftotext(&bytes).trim().is_empty(),
        "a scan has no text layer"
    );
}

#[test]
fn xlsx_has_real_dates_numbers_and_a_summary_sheet() {
    use calamine::{Data, DataType, Reader, Xlsx};
    let s = Statement::generate(&Spec::march_2026(Flavour::English, "USD", 5, 30));
    let bytes = sheet::xlsx(&s).unwrap();
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(wb.sheet_names(), vec!["Statement", "Summary"]);
    let range = wb.worksheet_range("Statement").unwrap();
    let cell = |r: u32, c: u32| range.get_value((r, c)).cloned().unwrap_or(Data::Empty);
    assert_eq!(cell(8, 0), Data::String("Date".into()));
    let first = &s.entries[0];
    let date = cell(9, 0);
    let got = date.as_date().unwrap();
    assert_eq!(got, first.date);
    let col = if first.amount.is_sign_negative() {
        3
    } else {
        4
    };
    let amount = Decimal::from_str(&format!("{:.2}", cell(9, col).as_f64().unwrap())).unwrap();
    assert_eq!(amount, first.amount.abs());
    let total_row = 9 + s.entries.len() as u32;
    assert_eq!(cell(total_row, 0), Data::String("Total".into()));

    // The Chinese flavour prints times and counterparty accounts as text, in its own columns.
    let z = Statement::generate(&Spec::march_2026(Flavour::Chinese, "CNY", 8, 20));
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(sheet::xlsx(&z).unwrap())).unwrap();
    let range = wb.worksheet_range("交易明细").unwrap();
    let cell = |r: u32, c: u32| range.get_value((r, c)).cloned().unwrap_or(Data::Empty);
    assert_eq!(cell(8, 7), Data::String("余额".into()));
    let t = z.entries[0].time.unwrap().format("%H:%M:%S").to_string();
    assert_eq!(cell(9, 1), Data::String(t));
    assert_eq!(cell(9, 0).as_date(), Some(z.entries[0].date));
    assert_eq!(cell(1, 1), Data::String(z.holder.clone()));
}

#[test]
fn csv_is_gb18030_with_a_direction_column() {
    let s = Statement::generate(&Spec::march_2026(Flavour::Chinese, "CNY", 6, 36));
    let bytes = sheet::gb18030_csv(&s).unwrap();
    assert!(std::str::from_utf8(&bytes).is_err(), "must not be UTF-8");
    let (text, _, bad) = encoding_rs::GB18030.decode(&bytes);
    assert!(!bad);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("交易日期,交易时间,收/支,交易金额"))
    );
    let rows = lines.iter().filter(|l| l.starts_with("2026-03-")).count();
    assert_eq!(rows, 36);
    let truth = gb18030_csv("x.csv", &s).unwrap().truth;
    assert!(truth.fields.opening_balance.is_none() && truth.fields.closing_balance.is_none());
}

#[test]
fn large_pdf_has_exactly_the_pages_asked_for() {
    let sample = large_pdf(4).unwrap();
    let doc = lopdf::Document::load_mem(&sample.bytes).unwrap();
    assert_eq!(doc.get_pages().len(), 4);
    assert_eq!(sample.pages, 4);
}

#[test]
fn bad_files_are_broken_as_labelled() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let files = bad_files(dir.path()).unwrap();
    let codes: Vec<&str> = files.iter().map(|(_, c)| *c).collect();
    assert_eq!(
        codes,
        [
            "DK-E0103", "DK-E0107", "DK-E0104", "DK-E0102", "DK-E0106", "DK-E0101", "DK-E0108"
        ]
    );
    let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();

    assert!(read("corrupt.pdf").starts_with(b"%PDF-"));
    assert!(lopdf::Document::load_mem(&read("corrupt.pdf")).is_err());
    assert!(read("empty.pdf").is_empty());
    assert!(!read("meeting-notes.pdf").starts_with(b"%PDF"));

    let encrypted = read("encrypted.pdf");
    // lopdf loads the structure but keeps the content locked until a password is given.
    let mut locked = lopdf::Document::load_mem(&encrypted).unwrap();
    assert!(locked.is_encrypted());
    assert!(locked.decrypt("").is_err(), "opens with the empty password");
    let opened = lopdf::Document::load_mem_with_options(
        &encrypted,
        lopdf::LoadOptions::with_password(bad::ENCRYPTED_PDF_PASSWORD),
    )
    .unwrap();
    assert_eq!(opened.get_pages().len(), 1);

    let empty = lopdf::Document::load_mem(&read("no-pages.pdf")).unwrap();
    assert!(empty.get_pages().is_empty());

    let truncated = read("truncated.xlsx");
    assert!(truncated.starts_with(b"PK"));
    assert!(zip::ZipArchive::new(std::io::Cursor::new(truncated)).is_err());

    let bomb = read("statement-bomb.xlsx");
    assert!(bomb.len() < 3 * 1024 * 1024);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bomb)).unwrap();
    assert!(zip.by_name("xl/workbook.xml").is_ok());
    let sheet = zip.by_name("xl/worksheets/sheet1.xml").unwrap();
    assert_eq!(sheet.size(), bad::BOMB_BYTES);
    // Inflate only the first MiB: enough to prove the stream is real deflate of zeros.
    let mut head = vec![1u8; 1 << 20];
    sheet.take(1 << 20).read_exact(&mut head).unwrap();
    assert!(head.iter().all(|&b| b == 0));
}

#[test]
fn hand_written_deflate_inflates_to_zeros() {
    use std::io::Read;
    for n in [0u64, 1, 2, 259, 1000, 70_001] {
        let mut out = Vec::new();
        flate2::read::DeflateDecoder::new(&bad::deflate_zeros(n)[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out.len() as u64, n);
        assert!(out.iter().all(|&b| b == 0));
    }
}
