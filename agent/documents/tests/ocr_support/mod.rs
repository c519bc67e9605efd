//! Test support for the OCR tests: renders real text with real fonts (DejaVu Sans, Noto Sans CJK
//! SC) into a page image at a given resolution, remembering where each word's ink landed, so the
//! tests can check Tesseract's words and boxes against the truth.
#![allow(dead_code)]

use ab_glyph::{Font, FontVec, PxScale, ScaleFont, point};
use docket_core::ocr::PageImage;
use docket_documents::ocr::OcrJob;
use image::{GrayImage, Luma};
use imageproc::geometric_transformations::{Border, Interpolation, rotate_about_center};

pub const DEJAVU: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
pub const NOTO_CJK: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";

pub fn latin_font() -> FontVec {
    FontVec::try_from_vec(std::fs::read(DEJAVU).unwrap()).unwrap()
}

/// Noto Sans CJK **SC** (index 2 of the collection): simplified Chinese glyph shapes.
pub fn cjk_font() -> FontVec {
    FontVec::try_from_vec_and_index(std::fs::read(NOTO_CJK).unwrap(), 2).unwrap()
}

/// A word drawn on the page and its ink box in points (top-left origin).
#[derive(Debug, Clone)]
pub struct Drawn {
    pub text: String,
    pub bbox_pt: [f32; 4],
}

impl Drawn {
    pub fn centre(&self) -> (f32, f32) {
        let b = self.bbox_pt;
        ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0)
    }
}

/// A white page.
pub struct Canvas {
    pub img: GrayImage,
    pub dpi: f32,
    pub drawn: Vec<Drawn>,
}

impl Canvas {
    /// An A4 page (595 × 842 pt).
    pub fn a4(dpi: f32) -> Self {
        Self::new(595.0, 842.0, dpi)
    }

    pub fn new(w_pt: f32, h_pt: f32, dpi: f32) -> Self {
        let px = |pt: f32| (pt * dpi / 72.0).round() as u32;
        Self {
            img: GrayImage::from_pixel(px(w_pt), px(h_pt), Luma([255])),
            dpi,
            drawn: Vec::new(),
        }
    }

    fn px(&self, pt: f32) -> f32 {
        pt * self.dpi / 72.0
    }

    /// Draws `text` with its baseline at (`x_pt`, `baseline_pt`); every space-separated word is
    /// recorded with its own ink box.
    pub fn text(&mut self, font: &FontVec, size_pt: f32, x_pt: f32, baseline_pt: f32, text: &str) {
        let scale = PxScale::from(self.px(size_pt));
        let sf = font.as_scaled(scale);
        let mut x = self.px(x_pt);
        let y = self.px(baseline_pt);
        let mut word = String::new();
        let mut word_box: Option<[f32; 4]> = None;
        let mut prev = None;
        let chars: Vec<char> = text.chars().chain(std::iter::once(' ')).collect();
        for (i, &c) in chars.iter().enumerate() {
            let id = sf.glyph_id(c);
            if let Some(p) = prev {
                x += sf.kern(p, id);
            }
            if c == ' ' {
                if let Some(b) = word_box.take() {
                    let k = 72.0 / self.dpi;
                    self.drawn.push(Drawn {
                        text: std::mem::take(&mut word),
                        bbox_pt: [b[0] * k, b[1] * k, b[2] * k, b[3] * k],
                    });
                }
            } else {
                word.push(c);
                let glyph = id.with_scale_and_position(scale, point(x, y));
                if let Some(outline) = font.outline_glyph(glyph) {
                    let bounds = outline.px_bounds();
                    let img = &mut self.img;
                    let (w, h) = img.dimensions();
                    outline.draw(|gx, gy, cov| {
                        let px = bounds.min.x as i32 + gx as i32;
                        let py = bounds.min.y as i32 + gy as i32;
                        if px >= 0 && py >= 0 && (px as u32) < w && (py as u32) < h {
                            let old = img.get_pixel(px as u32, py as u32).0[0] as f32;
                            let v = old * (1.0 - cov.clamp(0.0, 1.0));
                            img.put_pixel(px as u32, py as u32, Luma([v as u8]));
                        }
                    });
                    let b = [bounds.min.x, bounds.min.y, bounds.max.x, bounds.max.y];
                    word_box = Some(match word_box {
                        None => b,
                        Some(o) => [
                            o[0].min(b[0]),
                            o[1].min(b[1]),
                            o[2].max(b[2]),
                            o[3].max(b[3]),
                        ],
                    });
                }
            }
            x += sf.h_advance(id);
            prev = Some(id);
            let _ = i;
        }
    }

    /// A horizontal rule (table lines make deskew and layout realistic).
    pub fn rule(&mut self, x0_pt: f32, x1_pt: f32, y_pt: f32) {
        let (x0, x1, y) = (
            self.px(x0_pt) as u32,
            self.px(x1_pt) as u32,
            self.px(y_pt) as u32,
        );
        for x in x0..x1.min(self.img.width()) {
            for dy in 0..2 {
                self.img.put_pixel(x, y + dy, Luma([0]));
            }
        }
    }

    /// Rotates the content by `deg` (clockwise as displayed), white fill, same size.
    pub fn rotate(&mut self, deg: f32) {
        self.img = rotate_about_center(
            &self.img,
            deg.to_radians(),
            Interpolation::Bilinear,
            Border::Constant(Luma([255u8])),
        );
    }

    /// Deterministic speckle: flips about `per_mille`/1000 of the pixels.
    pub fn noise(&mut self, per_mille: u32) {
        let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
        for p in self.img.pixels_mut() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            if (s % 1000) < per_mille as u64 {
                p.0[0] = 255 - p.0[0];
            }
        }
    }

    pub fn page_image(&self) -> PageImage {
        PageImage {
            width: self.img.width(),
            height: self.img.height(),
            channels: 1,
            pixels: self.img.as_raw().clone(),
            dpi: self.dpi,
        }
    }

    pub fn job(&self, number: u32) -> OcrJob {
        OcrJob {
            number,
            image: self.page_image(),
            width_pt: self.img.width() as f32 * 72.0 / self.dpi,
            height_pt: self.img.height() as f32 * 72.0 / self.dpi,
        }
    }

    pub fn find(&self, text: &str) -> &Drawn {
        self.drawn.iter().find(|d| d.text == text).unwrap()
    }
}

/// A bank-statement-like table in English.
pub fn english_statement(dpi: f32) -> Canvas {
    let font = latin_font();
    let mut c = Canvas::a4(dpi);
    c.text(&font, 14.0, 60.0, 80.0, "Example Bank Account Statement");
    c.text(&font, 10.0, 60.0, 105.0, "Account 6222 0210 0123 4567");
    let cols = [60.0, 140.0, 300.0, 390.0, 470.0];
    let rows: [[&str; 5]; 6] = [
        ["Date", "Description", "Debit", "Credit", "Balance"],
        ["2024-03-01", "Opening", "", "", "12,000.00"],
        ["2024-03-04", "Card", "1,234.56", "", "10,765.44"],
        ["2024-03-07", "Salary", "", "8,500.00", "19,265.44"],
        ["2024-03-12", "Transfer", "2,000.00", "", "17,265.44"],
        ["2024-03-20", "Interest", "", "12.34", "17,277.78"],
    ];
    c.rule(55.0, 545.0, 132.0);
    for (r, row) in rows.iter().enumerate() {
        let y = 150.0 + r as f32 * 24.0;
        for (cell, x) in row.iter().zip(cols) {
            if !cell.is_empty() {
                c.text(&font, 11.0, x, y, cell);
            }
        }
        if r == 0 {
            c.rule(55.0, 545.0, y + 8.0);
        }
    }
    c
}

/// The Chinese table rendered with Noto Sans CJK SC.
pub fn chinese_statement(dpi: f32) -> Canvas {
    let font = cjk_font();
    let mut c = Canvas::a4(dpi);
    c.text(&font, 16.0, 60.0, 80.0, "银行账户交易明细");
    let cols = [50.0, 140.0, 210.0, 350.0, 420.0, 490.0];
    let rows: [[&str; 6]; 5] = [
        ["交易日期", "摘要", "对方户名", "收入", "支出", "余额"],
        [
            "2024-03-01",
            "工资",
            "上海星辰科技",
            "8,500.00",
            "",
            "20,500.00",
        ],
        ["2024-03-05", "转账", "张伟", "", "1,234.56", "19,265.44"],
        [
            "2024-03-09",
            "消费",
            "北京华联超市",
            "",
            "356.80",
            "18,908.64",
        ],
        ["2024-03-15", "利息", "中国银行", "12.34", "", "18,920.98"],
    ];
    c.rule(45.0, 560.0, 110.0);
    for (r, row) in rows.iter().enumerate() {
        let y = 130.0 + r as f32 * 26.0;
        for (cell, x) in row.iter().zip(cols) {
            if !cell.is_empty() {
                c.text(&font, 11.0, x, y, cell);
            }
        }
        if r == 0 {
            c.rule(45.0, 560.0, y + 8.0);
        }
    }
    c
}
