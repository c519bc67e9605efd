//! Rectangles on a page. Coordinates are in PDF points (1/72 inch) with the origin at the top-left
//! corner of the page and y growing downwards, whatever the source (PDF text layer or OCR pixels,
//! which are scaled by their resolution), so that one layout reader serves every source.

use serde::{Deserialize, Serialize};

/// An axis-aligned box `[x0, y0, x1, y1]`, top-left origin, `x0 <= x1`, `y0 <= y1`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(from = "[f32; 4]", into = "[f32; 4]")]
pub struct BBox {
    /// Left edge.
    pub x0: f32,
    /// Top edge.
    pub y0: f32,
    /// Right edge.
    pub x1: f32,
    /// Bottom edge.
    pub y1: f32,
}

impl BBox {
    /// A box from two corners in any order.
    pub fn new(xa: f32, ya: f32, xb: f32, yb: f32) -> Self {
        Self {
            x0: xa.min(xb),
            y0: ya.min(yb),
            x1: xa.max(xb),
            y1: ya.max(yb),
        }
    }

    /// Width of the box.
    pub fn width(&self) -> f32 {
        self.x1 - self.x0
    }

    /// Height of the box.
    pub fn height(&self) -> f32 {
        self.y1 - self.y0
    }

    /// Vertical centre.
    pub fn cy(&self) -> f32 {
        (self.y0 + self.y1) / 2.0
    }

    /// Horizontal centre.
    pub fn cx(&self) -> f32 {
        (self.x0 + self.x1) / 2.0
    }

    /// The smallest box holding both.
    pub fn union(&self, other: &BBox) -> BBox {
        BBox {
            x0: self.x0.min(other.x0),
            y0: self.y0.min(other.y0),
            x1: self.x1.max(other.x1),
            y1: self.y1.max(other.y1),
        }
    }

    /// Length of the overlap of the two boxes' horizontal extents (0 when disjoint).
    pub fn x_overlap(&self, other: &BBox) -> f32 {
        (self.x1.min(other.x1) - self.x0.max(other.x0)).max(0.0)
    }

    /// Length of the overlap of the two boxes' vertical extents (0 when disjoint).
    pub fn y_overlap(&self, other: &BBox) -> f32 {
        (self.y1.min(other.y1) - self.y0.max(other.y0)).max(0.0)
    }

    /// The box as `[x0, y0, x1, y1]` rounded to 0.1 pt, the form used in JSON output.
    pub fn rounded(&self) -> [f32; 4] {
        let r = |v: f32| (v * 10.0).round() / 10.0;
        [r(self.x0), r(self.y0), r(self.x1), r(self.y1)]
    }
}

impl From<[f32; 4]> for BBox {
    fn from(v: [f32; 4]) -> Self {
        BBox::new(v[0], v[1], v[2], v[3])
    }
}

impl From<BBox> for [f32; 4] {
    fn from(b: BBox) -> Self {
        b.rounded()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_and_overlap() {
        let a = BBox::new(0.0, 0.0, 10.0, 10.0);
        let b = BBox::new(20.0, 5.0, 5.0, 15.0);
        assert_eq!(b.x0, 5.0);
        assert_eq!(a.union(&b), BBox::new(0.0, 0.0, 20.0, 15.0));
        assert_eq!(a.x_overlap(&b), 5.0);
        assert_eq!(a.y_overlap(&b), 5.0);
        assert_eq!(a.x_overlap(&BBox::new(11.0, 0.0, 12.0, 1.0)), 0.0);
    }
}
