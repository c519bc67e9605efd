//! Real Tesseract on real rendered statements: words, amounts and boxes come back where they were
//! drawn, CJK headers come back as whole words, skewed scans are straightened.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod ocr_support;

use docket_core::{ErrorCode, Page, TextOrigin};
use docket_documents::DigitiseOptions;
use docket_documents::ocr::{available_languages, ocr_pages};
use ocr_support::{Canvas, chinese_statement, english_statement};

fn opts() -> DigitiseOptions {
    DigitiseOptions {
        ocr_threads: 2,
        ..DigitiseOptions::default()
    }
}

/// Asserts that every expected word was read exactly once near where it was drawn.
fn assert_words_at(page: &Page, canvas: &Canvas, expected: &[&str], tolerance_pt: f32) {
    for text in expected {
        let drawn = canvas.find(text);
        let (dx, dy) = drawn.centre();
        let hits: Vec<_> = page.words.iter().filter(|w| w.text == *text).collect();
        assert!(
            !hits.is_empty(),
            "'{text}' not read; page text:\n{}",
            page.text()
        );
        let near = hits.iter().any(|w| {
            (w.bbox.cx() - dx).abs() < tolerance_pt && (w.bbox.cy() - dy).abs() < tolerance_pt
        });
        assert!(
            near,
            "'{text}' drawn at {:?}, read at {:?}",
            drawn.bbox_pt,
            hits.iter().map(|w| w.bbox).collect::<Vec<_>>()
        );
    }
}

const ENGLISH_WORDS: &[&str] = &[
    "Date",
    "Description",
    "Debit",
    "Credit",
    "Balance",
    "2024-03-04",
    "1,234.56",
    "10,765.44",
    "8,500.00",
    "19,265.44",
    "2,000.00",
    "12.34",
    "17,277.78",
];

#[test]
fn english_statement_words_and_amounts_come_back_in_place() {
    let canvas = english_statement(200.0);
    let pages = ocr_pages(vec![canvas.job(1)], &opts()).unwrap();
    let page = &pages[0];
    assert_eq!(page.number, 1);
    assert_eq!(page.origin, TextOrigin::Ocr);
    assert!((page.width - 595.0).abs() < 0.5 && (page.height - 842.0).abs() < 0.5);
    assert_eq!(page.deskew_degrees, 0.0);
    // Ink boxes: Tesseract's boxes hug the glyphs, so centres agree to a couple of points.
    assert_words_at(page, &canvas, ENGLISH_WORDS, 3.0);
    for w in &page.words {
        assert!((0.0..=1.0).contains(&w.confidence), "{w:?}");
        assert!(!w.text.trim().is_empty());
    }
    let amount = page.words.iter().find(|w| w.text == "1,234.56").unwrap();
    assert!(amount.confidence > 0.8, "{amount:?}");
}

#[test]
fn skewed_noisy_scan_is_deskewed_and_read() {
    let mut canvas = english_statement(200.0);
    canvas.rotate(1.0);
    // Light dust (1 in 1000 pixels flipped); isolated specks are removed before OCR.
    canvas.noise(1);
    let pages = ocr_pages(vec![canvas.job(1)], &opts()).unwrap();
    let page = &pages[0];
    assert!(
        (page.deskew_degrees - 1.0).abs() < 0.15,
        "deskew {}",
        page.deskew_degrees
    );
    // After straightening, words sit where they were drawn on the unrotated page.
    assert_words_at(page, &canvas, ENGLISH_WORDS, 4.0);
}

#[test]
fn negative_skew_is_reported_with_its_sign() {
    let mut canvas = english_statement(200.0);
    canvas.rotate(-0.6);
    let pages = ocr_pages(vec![canvas.job(1)], &opts()).unwrap();
    assert!(
        (pages[0].deskew_degrees + 0.6).abs() < 0.15,
        "deskew {}",
        pages[0].deskew_degrees
    );
    assert_words_at(
        &pages[0],
        &canvas,
        &["Balance", "1,234.56", "17,277.78"],
        4.0,
    );
}

#[test]
fn chinese_statement_headers_merge_into_words_and_amounts_survive() {
    let mut canvas = chinese_statement(200.0);
    canvas.rotate(0.8);
    let pages = ocr_pages(vec![canvas.job(1)], &opts()).unwrap();
    let page = &pages[0];
    assert!((page.deskew_degrees - 0.8).abs() < 0.15);
    // Tesseract alone returns 交 易 日 期 as four words: these prove the merge.
    assert_words_at(
        page,
        &canvas,
        &[
            "交易日期",
            "摘要",
            "对方户名",
            "收入",
            "支出",
            "余额",
            "1,234.56",
            "20,500.00",
            "356.80",
            "18,920.98",
        ],
        4.0,
    );
    // Columns stay apart: no merged word spans two header cells.
    assert!(!page.words.iter().any(|w| w.text.contains("日期摘")));
}

#[test]
fn pages_come_back_in_order_from_parallel_workers() {
    let en = english_statement(150.0);
    let zh = chinese_statement(150.0);
    let jobs = vec![en.job(1), zh.job(2), en.job(3)];
    let pages = ocr_pages(jobs, &opts()).unwrap();
    assert_eq!(
        pages.iter().map(|p| p.number).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(pages[0].words.iter().any(|w| w.text == "Balance"));
    assert!(pages[1].words.iter().any(|w| w.text == "余额"));
    assert!(pages[2].words.iter().any(|w| w.text == "Balance"));
}

#[test]
fn missing_language_is_ocr_unavailable_naming_the_package() {
    let canvas = Canvas::new(100.0, 100.0, 200.0);
    let o = DigitiseOptions {
        languages: "eng+xyz_fake".into(),
        ..opts()
    };
    let err = ocr_pages(vec![canvas.job(1)], &o).unwrap_err();
    assert_eq!(err.code, ErrorCode::OcrUnavailable);
    assert!(
        err.message.contains("tesseract-ocr-xyz-fake"),
        "{}",
        err.message
    );
}

#[test]
fn installed_languages_are_listed() {
    let langs = available_languages().unwrap();
    assert!(langs.contains(&"eng".to_string()), "{langs:?}");
    assert!(langs.contains(&"chi_sim".to_string()), "{langs:?}");
    assert!(!langs.contains(&"osd".to_string()));
}

#[test]
fn blank_page_has_no_words() {
    let canvas = Canvas::new(300.0, 200.0, 200.0);
    let pages = ocr_pages(vec![canvas.job(7)], &opts()).unwrap();
    assert_eq!(pages[0].number, 7);
    assert!(pages[0].words.is_empty(), "{:?}", pages[0].words);
}
