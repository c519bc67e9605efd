//! Speckle removal before OCR. Scanner dust and toner specks are single pixels that Tesseract
//! reads as punctuation (`.`, `,`, `'`) or even as CJK strokes — and a stray `.` or `,` next to an
//! amount is the worst kind of error for a statement.
//!
//! Only pixels whose eight neighbours are all on the other side of the ink threshold are flipped;
//! at 150 dpi and above no stroke of a glyph is a single isolated pixel, so this never removes
//! real text. Below that resolution the image is left alone.

use super::deskew::otsu;
use docket_core::ocr::PageImage;

/// Lowest resolution at which an isolated pixel cannot be part of a glyph.
pub const MIN_DPI: f32 = 150.0;

/// Removes isolated dark pixels on paper and isolated light pixels inside ink; returns how many
/// pixels were changed.
pub fn despeckle(image: &mut PageImage) -> usize {
    if image.channels != 1 || image.dpi < MIN_DPI || image.width < 3 || image.height < 3 {
        return 0;
    }
    let thr = otsu(&image.pixels);
    let (w, h) = (image.width as usize, image.height as usize);
    let src = image.pixels.clone();
    let ink = |i: usize| src[i] < thr;
    let mut changed = 0;
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let i = y * w + x;
            let me = ink(i);
            let lonely = [
                i - w - 1,
                i - w,
                i - w + 1,
                i - 1,
                i + 1,
                i + w - 1,
                i + w,
                i + w + 1,
            ]
            .iter()
            .all(|&n| ink(n) != me);
            if lonely {
                image.pixels[i] = if me { 255 } else { 0 };
                changed += 1;
            }
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_specks_go_and_strokes_stay() {
        let (w, h) = (20usize, 20usize);
        let mut px = vec![255u8; w * h];
        px[5 * w + 5] = 0; // speck
        for x in 2..18 {
            px[10 * w + x] = 0; // a one-pixel-high stroke: neighbours along it are ink
            px[11 * w + x] = 0;
        }
        px[10 * w + 9] = 255; // a notch on the stroke's edge, not a lone pixel: kept
        let mut img = PageImage {
            width: w as u32,
            height: h as u32,
            channels: 1,
            pixels: px,
            dpi: 200.0,
        };
        despeckle(&mut img);
        assert_eq!(img.pixels[5 * w + 5], 255);
        assert!((2..18).all(|x| img.pixels[11 * w + x] == 0));
        assert!(
            (2..18)
                .filter(|&x| x != 9)
                .all(|x| img.pixels[10 * w + x] == 0)
        );
    }

    #[test]
    fn low_resolution_images_are_untouched() {
        let mut img = PageImage {
            width: 5,
            height: 5,
            channels: 1,
            pixels: {
                let mut p = vec![255u8; 25];
                p[12] = 0;
                p
            },
            dpi: 100.0,
        };
        assert_eq!(despeckle(&mut img), 0);
        assert_eq!(img.pixels[12], 0);
    }
}
