//! Digitises files into Docket documents: PDF text layers with positions, OCR of scans and images, spreadsheets and CSV in any common encoding.
