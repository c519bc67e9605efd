//! Built-in advance widths of the standard 14 fonts, used when a PDF names Helvetica, Times or
//! Courier (or their common Windows aliases) without a `/Widths` array, as many statement
//! generators do. Only widths live here; nothing is rendered.

#[path = "metrics_data.rs"]
mod data;

/// Which built-in metrics apply to a font.
#[derive(Debug, Clone, Copy)]
pub(super) enum StdMetrics {
    /// A proportional table keyed by Unicode scalar.
    Table(&'static [(u16, u16)]),
    /// Every glyph 600/1000 em.
    Mono,
    /// Not a standard font.
    None,
}

impl StdMetrics {
    /// Width in 1/1000 em of `c`, when known.
    pub(super) fn width(self, c: char) -> Option<f32> {
        match self {
            StdMetrics::Table(t) => {
                let u = u16::try_from(u32::from(c)).ok()?;
                t.binary_search_by_key(&u, |e| e.0)
                    .ok()
                    .map(|i| f32::from(t[i].1))
            }
            StdMetrics::Mono => Some(600.0),
            StdMetrics::None => None,
        }
    }
}

/// Metrics for a `/BaseFont` name: subset prefixes (`ABCDEF+`) and style suffixes (`,Bold`,
/// `-BoldMT`) are understood, and Arial / Times New Roman / Courier New map to their standard
/// look-alikes, whose widths match closely. Unknown families get Helvetica, the best guess for
/// sans-serif statement fonts.
pub(super) fn for_name(base_font: &[u8]) -> StdMetrics {
    let name = match base_font.iter().position(|&b| b == b'+') {
        Some(6) => &base_font[7..],
        _ => base_font,
    };
    let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
    if lower.contains("courier") || lower.contains("mono") {
        return StdMetrics::Mono;
    }
    if lower.starts_with("symbol") || lower.starts_with("zapf") {
        return StdMetrics::None;
    }
    let bold = lower.contains("bold") || lower.contains("black") || lower.contains("heavy");
    let italic = lower.contains("italic") || lower.contains("oblique");
    if lower.contains("times") || lower.contains("serif") && !lower.contains("sans") {
        return StdMetrics::Table(match (bold, italic) {
            (true, true) => data::TIMES_BOLD_ITALIC,
            (true, false) => data::TIMES_BOLD,
            (false, true) => data::TIMES_ITALIC,
            (false, false) => data::TIMES_ROMAN,
        });
    }
    StdMetrics::Table(if bold {
        data::HELVETICA_BOLD
    } else {
        data::HELVETICA
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_afm_widths() {
        assert_eq!(for_name(b"Helvetica").width('A'), Some(667.0));
        assert_eq!(for_name(b"Helvetica-Bold").width('a'), Some(556.0));
        assert_eq!(for_name(b"Times-Roman").width('a'), Some(444.0));
        assert_eq!(for_name(b"ABCDEF+Arial,Bold").width(' '), Some(278.0));
        assert_eq!(for_name(b"Courier").width('W'), Some(600.0));
        assert_eq!(for_name(b"Helvetica").width('€'), Some(556.0));
    }
}
