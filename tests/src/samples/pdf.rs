//! Digital (text-layer) PDF writer: draws laid-out pages with hand-written content streams, in
//! standard-14 Helvetica (WinAnsiEncoding) or the Adobe-GB1 CID font STSong-Light
//! (`UniGB-UCS2-H`, UTF-16BE codes). It embeds no font program and never writes dates, IDs or
//! anything else that would change between runs.

use super::layout::{Align, Face, PageLayout, text_width};
use anyhow::{Context, Result};
use lopdf::{Dictionary, Document, Object, Stream, dictionary};
use std::fmt::Write as _;

/// Render pages into PDF bytes.
pub fn write_pdf(pages: &[PageLayout]) -> Result<Vec<u8>> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();

    let helvetica = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let helvetica_bold = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica-Bold",
        "Encoding" => "WinAnsiEncoding",
    });
    let cjk = add_cjk_font(&mut doc);
    let resources = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => helvetica, "F2" => helvetica_bold, "F3" => cjk },
        "ProcSet" => vec![Object::Name(b"PDF".to_vec()), Object::Name(b"Text".to_vec())],
    });

    let mut kids = Vec::with_capacity(pages.len());
    for page in pages {
        let content = doc.add_object(Stream::new(Dictionary::new(), content_stream(page)));
        let id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), Object::Real(page.width), Object::Real(page.height)],
            "Resources" => resources,
            "Contents" => content,
        });
        kids.push(Object::Reference(id));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    doc.compress();
    let mut out = Vec::new();
    doc.save_to(&mut out).context("serialising the PDF")?;
    Ok(out)
}

/// The Type0 / CIDFontType0 pair for STSong-Light. `/W` declares ½-em ASCII (CIDs 1–95 under
/// UniGB-UCS2-H) so right-aligned amounts line up exactly; the ToUnicode CMap lets text
/// extractors read the codes without the Adobe CMap files.
fn add_cjk_font(doc: &mut Document) -> lopdf::ObjectId {
    let descriptor = doc.add_object(dictionary! {
        "Type" => "FontDescriptor", "FontName" => "STSong-Light", "Flags" => 6,
        "FontBBox" => vec![(-25).into(), (-254).into(), 1000.into(), 880.into()],
        "ItalicAngle" => 0, "Ascent" => 880, "Descent" => -120, "CapHeight" => 880,
        "StemV" => 93,
    });
    let cid_font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "CIDFontType0", "BaseFont" => "STSong-Light",
        "CIDSystemInfo" => dictionary! {
            "Registry" => Object::string_literal("Adobe"),
            "Ordering" => Object::string_literal("GB1"),
            "Supplement" => 2,
        },
        "FontDescriptor" => descriptor,
        "DW" => 1000,
        "W" => vec![1.into(), 95.into(), 500.into()],
    });
    let to_unicode = doc.add_object(Stream::new(Dictionary::new(), identity_to_unicode()));
    doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type0", "BaseFont" => "STSong-Light",
        "Encoding" => "UniGB-UCS2-H",
        "DescendantFonts" => vec![Object::Reference(cid_font)],
        "ToUnicode" => to_unicode,
    })
}

/// A ToUnicode CMap mapping every 2-byte code to the same UTF-16 value (codes are UCS-2).
fn identity_to_unicode() -> Vec<u8> {
    let mut s = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Docket-UCS2-Identity def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    // bfrange entries may only vary the last byte; surrogate halves are not characters.
    let highs: Vec<u32> = (0u32..=0xFF)
        .filter(|h| !(0xD8..=0xDF).contains(h))
        .collect();
    for chunk in highs.chunks(100) {
        let _ = writeln!(s, "{} beginbfrange", chunk.len());
        for h in chunk {
            let _ = writeln!(s, "<{h:02X}00> <{h:02X}FF> <{h:02X}00>");
        }
        s.push_str("endbfrange\n");
    }
    s.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    s.into_bytes()
}

fn content_stream(page: &PageLayout) -> Vec<u8> {
    let mut s = String::new();
    for r in &page.rules {
        let _ = writeln!(
            s,
            "{:.2} w {:.2} {:.2} m {:.2} {:.2} l S",
            r.width,
            r.x0,
            page.height - r.y0,
            r.x1,
            page.height - r.y1
        );
    }
    s.push_str("0 g\n");
    for t in &page.texts {
        let w = text_width(&t.text, t.face, t.size);
        let x = match t.align {
            Align::Left => t.x,
            Align::Right => t.x - w,
            Align::Center => t.x - w / 2.0,
        };
        let (font, encoded) = match t.face {
            Face::Latin => ("F1", literal(&t.text)),
            Face::LatinBold => ("F2", literal(&t.text)),
            Face::Cjk => ("F3", utf16_hex(&t.text)),
        };
        let _ = writeln!(
            s,
            "BT /{font} {:.1} Tf 1 0 0 1 {:.2} {:.2} Tm {encoded} Tj ET",
            t.size,
            x,
            page.height - t.baseline
        );
    }
    s.into_bytes()
}

/// A PDF literal string in WinAnsi: the layout only emits ASCII for Latin faces; anything else
/// becomes `?` rather than a wrong byte.
fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('(');
    for c in text.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            _ => out.push('?'),
        }
    }
    out.push(')');
    out
}

fn utf16_hex(text: &str) -> String {
    let mut out = String::from("<");
    for unit in text.encode_utf16() {
        let _ = write!(out, "{unit:04X}");
    }
    out.push('>');
    out
}
