//! Text-layer extraction from PDFs built in the test: words, their order and boxes, checked
//! against hand-computed AFM widths and against poppler's `pdftotext -bbox`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pdf_common;

use docket_core::{Page, TextOrigin};
use docket_documents::{DigitiseOptions, pdf};
use lopdf::{Object, Stream, dictionary};
use pdf_common::*;

fn read(bytes: &[u8]) -> Vec<Page> {
    pdf::read(bytes, &DigitiseOptions::default()).unwrap()
}

fn texts(page: &Page) -> Vec<&str> {
    page.words.iter().map(|w| w.text.as_str()).collect()
}

fn word<'a>(page: &'a Page, text: &str) -> &'a docket_core::Word {
    page.words
        .iter()
        .find(|w| w.text == text)
        .unwrap_or_else(|| panic!("no word {text:?} in {:?}", texts(page)))
}

/// A statement-like table: header, rows with an empty debit or credit cell.
fn table_pdf() -> Vec<u8> {
    let rows = [
        ("Date", "Description", "Debit", "Credit", "Balance"),
        ("2024-01-02", "Opening balance", "", "", "1,000.00"),
        ("2024-01-03", "Card payment SHOP", "25.50", "", "974.50"),
        ("2024-01-05", "Salary ACME", "", "2,500.00", "3,474.50"),
    ];
    let cols = [50.0, 130.0, 330.0, 410.0, 500.0];
    let mut c = String::from("BT /F1 10 Tf\n");
    for (i, r) in rows.iter().enumerate() {
        let y = 700.0 - 18.0 * i as f32;
        for (x, cell) in cols.iter().zip([r.0, r.1, r.2, r.3, r.4]) {
            if !cell.is_empty() {
                c.push_str(&format!("1 0 0 1 {x} {y} Tm ({cell}) Tj\n"));
            }
        }
    }
    c.push_str("ET\n");
    build(vec![
        PageSpec::new(c.as_bytes()).font("F1", helvetica("Helvetica")),
    ])
}

#[test]
fn helvetica_table_words_boxes_and_order() {
    let pages = read(&table_pdf());
    assert_eq!(pages.len(), 1);
    let p = &pages[0];
    assert_eq!(p.origin, TextOrigin::TextLayer);
    assert_eq!((p.width, p.height), (612.0, 792.0));
    assert_eq!(
        p.text(),
        "Date Description Debit Credit Balance\n\
         2024-01-02 Opening balance 1,000.00\n\
         2024-01-03 Card payment SHOP 25.50 974.50\n\
         2024-01-05 Salary ACME 2,500.00 3,474.50"
    );
    assert!(p.words.iter().all(|w| w.confidence == 1.0));
    // Reading order: first line left to right, then the next line.
    assert_eq!(
        &texts(p)[..6],
        [
            "Date",
            "Description",
            "Debit",
            "Credit",
            "Balance",
            "2024-01-02"
        ]
    );
    // "Date" in Helvetica 10: D 722 + a 556 + t 278 + e 556 = 21.12 pt; baseline at 792-700.
    let d = word(p, "Date");
    assert!((d.bbox.x0 - 50.0).abs() < 0.01, "{:?}", d.bbox);
    assert!((d.bbox.x1 - 71.12).abs() < 0.01, "{:?}", d.bbox);
    assert!(
        d.bbox.y0 < 92.0 - 6.0 && d.bbox.y0 > 92.0 - 10.0,
        "{:?}",
        d.bbox
    );
    assert!(d.bbox.y1 > 92.0 && d.bbox.y1 < 92.0 + 3.0, "{:?}", d.bbox);
    // The debit amount sits under the Debit header, the credit amount under Credit.
    let debit = word(p, "25.50");
    let credit = word(p, "2,500.00");
    assert!((debit.bbox.x0 - 330.0).abs() < 0.01);
    assert!((credit.bbox.x0 - 410.0).abs() < 0.01);
}

/// Ours and poppler's words agree in text and, within half a point, in horizontal extent.
fn assert_matches_poppler(bytes: &[u8], page: &Page) {
    let Some(theirs) = poppler_words(bytes, page.number) else {
        eprintln!("pdftotext not installed: skipping the poppler comparison");
        return;
    };
    let ours: Vec<(&str, [f32; 4])> = page
        .words
        .iter()
        .map(|w| {
            (
                w.text.as_str(),
                [w.bbox.x0, w.bbox.y0, w.bbox.x1, w.bbox.y1],
            )
        })
        .collect();
    let mut theirs_sorted = theirs.clone();
    theirs_sorted.sort_by(|a, b| a.0.cmp(&b.0).then(a.1[0].total_cmp(&b.1[0])));
    let mut ours_sorted: Vec<_> = ours.iter().map(|(t, b)| (t.to_string(), *b)).collect();
    ours_sorted.sort_by(|a, b| a.0.cmp(&b.0).then(a.1[0].total_cmp(&b.1[0])));
    assert_eq!(
        ours_sorted.iter().map(|w| &w.0).collect::<Vec<_>>(),
        theirs_sorted.iter().map(|w| &w.0).collect::<Vec<_>>(),
        "word sets differ from pdftotext"
    );
    for (o, t) in ours_sorted.iter().zip(&theirs_sorted) {
        assert!(
            (o.1[0] - t.1[0]).abs() < 0.5,
            "{} x0 {} vs poppler {}",
            o.0,
            o.1[0],
            t.1[0]
        );
        assert!(
            (o.1[2] - t.1[2]).abs() < 0.5,
            "{} x1 {} vs poppler {}",
            o.0,
            o.1[2],
            t.1[2]
        );
        let (oc, tc) = ((o.1[1] + o.1[3]) / 2.0, (t.1[1] + t.1[3]) / 2.0);
        assert!(
            (oc - tc).abs() < 3.0,
            "{} y centre {oc} vs poppler {tc}",
            o.0
        );
    }
}

#[test]
fn helvetica_table_matches_pdftotext() {
    let bytes = table_pdf();
    assert_matches_poppler(&bytes, &read(&bytes)[0]);
}

#[test]
fn tj_kerning_keeps_small_kerns_and_splits_on_wide_gaps() {
    let content = b"BT /F1 12 Tf 72 700 Td [(Ba) 20 (lance) -600 (Due) -40 (:)] TJ \
        0 -20 Td 2 Tc (AB) Tj 0 Tc 0 -20 Td 10 Tw (x y) Tj ET";
    let bytes = build(vec![
        PageSpec::new(content).font("F1", helvetica("Helvetica-Bold")),
    ]);
    let p = &read(&bytes)[0];
    assert_eq!(texts(p), ["Balance", "Due:", "AB", "x", "y"]);
    let due = word(p, "Due:");
    let balance = word(p, "Balance");
    // Helvetica-Bold "Balance" = 722+556+278+556+611+556+556 = 3835, minus the 20/1000 kern.
    let expected_end = 72.0 + (3.835 - 0.020) * 12.0;
    assert!(
        (balance.bbox.x1 - expected_end).abs() < 0.01,
        "{:?}",
        balance.bbox
    );
    assert!(
        (due.bbox.x0 - (expected_end + 0.6 * 12.0)).abs() < 0.01,
        "{:?}",
        due.bbox
    );
    // Tw widens the space: "y" starts at 72 + x(556) + space(278) in 12 pt + 10.
    let y = word(p, "y");
    assert!(
        (y.bbox.x0 - (72.0 + 0.834 * 12.0 + 10.0)).abs() < 0.01,
        "{:?}",
        y.bbox
    );
    assert_matches_poppler(&bytes, p);
}

#[test]
fn chinese_stsong_ucs2_statement_line() {
    let content = format!(
        "BT /F1 10 Tf 1 0 0 1 40 760 Tm {} Tj 1 0 0 1 40 740 Tm {} Tj \
         1 0 0 1 200 740 Tm {} Tj 1 0 0 1 300 740 Tm {} Tj ET",
        utf16_hex("交易日期 摘要"),
        utf16_hex("2024-03-01"),
        utf16_hex("工资收入"),
        utf16_hex("人民币8,000.00元"),
    );
    let bytes = build(vec![PageSpec::new(content.as_bytes()).font("F1", stsong())]);
    let p = &read(&bytes)[0];
    assert_eq!(
        texts(p),
        [
            "交易日期",
            "摘要",
            "2024-03-01",
            "工资收入",
            "人民币8,000.00元"
        ]
    );
    // Four CJK glyphs at 1 em each; ASCII at half width.
    let w = word(p, "交易日期");
    assert!((w.bbox.x1 - w.bbox.x0 - 40.0).abs() < 0.01, "{:?}", w.bbox);
    let d = word(p, "2024-03-01");
    assert!((d.bbox.x1 - d.bbox.x0 - 50.0).abs() < 0.01, "{:?}", d.bbox);
    assert_matches_poppler(&bytes, p);

    // Letter-spaced Chinese (Tc = 0.4 em) stays one word; a real gap still splits.
    let content = format!(
        "BT /F1 10 Tf 4 Tc 1 0 0 1 40 700 Tm {} Tj 1 0 0 1 200 700 Tm {} Tj ET",
        utf16_hex("对方户名"),
        utf16_hex("张三"),
    );
    let bytes = build(vec![PageSpec::new(content.as_bytes()).font("F1", stsong())]);
    let p = &read(&bytes)[0];
    assert_eq!(texts(p), ["对方户名", "张三"]);
}

#[test]
fn identity_h_font_with_tounicode_cmap() {
    // Glyph ids 1..=6 stand for 账户余额 and "OK" through a ToUnicode CMap with bfchar and both
    // bfrange forms.
    let cmap = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap
/CMapName /Test-UCS def /CMapType 2 def
1 begincodespacerange <0000> <FFFF> endcodespacerange
2 beginbfchar <0001> <8D26> <0002> <6237> endbfchar
2 beginbfrange <0003> <0004> [<4F59> <989D>] <0005> <0006> <004F> endbfrange
endcmap CMapName currentdict /CMap defineresource pop end end";
    // <0005>..<0006> from <004F> gives O, P; the test shows 0005 then 0005 0006.
    let font = Object::Dictionary(dictionary! {
        "Type" => "Font", "Subtype" => "Type0", "BaseFont" => "TestSans",
        "Encoding" => "Identity-H",
        "ToUnicode" => Stream::new(dictionary! {}, cmap.to_vec()),
        "DescendantFonts" => vec![Object::Dictionary(dictionary! {
            "Type" => "Font", "Subtype" => "CIDFontType2", "BaseFont" => "TestSans",
            "CIDSystemInfo" => dictionary! {
                "Registry" => Object::string_literal("Adobe"),
                "Ordering" => Object::string_literal("Identity"),
                "Supplement" => 0,
            },
            "DW" => 1000,
            "W" => vec![5.into(), vec![600.into(), 650.into()].into()],
        })],
    });
    let content = b"BT /F1 20 Tf 100 600 Td <0001000200030004> Tj 0 -30 Td <00050006> Tj ET";
    let bytes = build(vec![PageSpec::new(content).font("F1", font)]);
    let p = &read(&bytes)[0];
    assert_eq!(texts(p), ["账户余额", "OP"]);
    let op = word(p, "OP");
    assert!(
        (op.bbox.x1 - (100.0 + 1.25 * 20.0)).abs() < 0.01,
        "{:?}",
        op.bbox
    );
    assert!((word(p, "账户余额").bbox.x1 - 180.0).abs() < 0.01);
}

#[test]
fn two_pages_in_order_with_form_xobject_and_rotation() {
    let p1 = PageSpec::new(b"BT /F1 12 Tf 72 720 Td (First page) Tj ET")
        .font("F1", helvetica("Helvetica"));
    // Page 2 draws its text inside a Form XObject placed with a translation.
    let form = Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Form",
            "BBox" => vec![0.into(), 0.into(), 300.into(), 100.into()],
            "Resources" => dictionary! { "Font" => dictionary! { "F2" => helvetica("Courier") } },
        },
        b"BT /F2 10 Tf 0 0 Td (In form) Tj ET".to_vec(),
    );
    let mut p2 = PageSpec::new(b"q 1 0 0 1 100 500 cm /Fm1 Do Q");
    p2.xobjects.push(("Fm1", form));
    let bytes = build(vec![p1, p2]);
    let pages = read(&bytes);
    assert_eq!(pages.iter().map(|p| p.number).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(pages[0].text(), "First page");
    assert_eq!(pages[1].text(), "In form");
    // Courier is 0.6 em per glyph: "In" is 12 pt wide, starting at x = 100.
    let w = word(&pages[1], "In");
    assert!(
        (w.bbox.x0 - 100.0).abs() < 0.01 && (w.bbox.x1 - 112.0).abs() < 0.01,
        "{:?}",
        w.bbox
    );
    assert!(
        (w.bbox.cy() - (792.0 - 500.0 - 3.0)).abs() < 3.0,
        "{:?}",
        w.bbox
    );
    assert_matches_poppler(&bytes, &pages[1]);

    // A landscape page stored portrait with /Rotate 90 and text drawn rotated to match.
    let mut rot = PageSpec::new(b"BT /F1 12 Tf 0 1 -1 0 300 100 Tm (Landscape text) Tj ET")
        .font("F1", helvetica("Helvetica"));
    rot.rotate = 90;
    let bytes = build(vec![rot]);
    let p = &read(&bytes)[0];
    assert_eq!((p.width, p.height), (792.0, 612.0));
    assert_eq!(texts(p), ["Landscape", "text"]);
    assert!((word(p, "Landscape").bbox.x0 - 100.0).abs() < 0.01);
    assert_matches_poppler(&bytes, p);
}
