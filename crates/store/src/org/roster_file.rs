//! Reading roster files: .xlsx (streamed cell by cell, so a sheet of a million rows does not
//! sit in memory), legacy .xls, and .csv/.txt in UTF-8, GB18030 or UTF-16. Every cell comes
//! out as text; dates as `YYYY-MM-DD`. Nothing here knows what the columns mean.

use calamine::{DataRef, Reader};
use std::io::Cursor;
use std::ops::ControlFlow;

/// One cell as text. `lossy_number` marks a number too long for Excel to keep exactly
/// (an ID number typed into a number cell loses its last digits).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CellText {
    pub text: String,
    pub lossy_number: bool,
}

impl CellText {
    pub fn new(s: impl Into<String>) -> Self {
        CellText {
            text: s.into(),
            lossy_number: false,
        }
    }
}

/// A non-empty row with its 1-based spreadsheet row number.
pub type RawRow = (u32, Vec<CellText>);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RosterError {
    #[error("the file is not a spreadsheet (.xlsx, .xls or .csv)")]
    NotSpreadsheet,
    #[error("the spreadsheet cannot be read: {0}")]
    Unreadable(String),
    #[error("the spreadsheet has no sheet")]
    NoSheet,
    /// The .xlsx unpacks to more than the limits allow (a decompression bomb, or a sheet far
    /// beyond any roster).
    #[error("the spreadsheet unpacks to too much data ({0})")]
    TooLarge(&'static str),
}

/// What an .xlsx may unpack to. Checked by [`check_xlsx`] before calamine opens the file:
/// a 0.6 MB file that inflated to 608 MiB took the server from 111 MiB to 1.95 GiB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XlsxLimits {
    /// All parts together, unpacked.
    pub max_unzipped: u64,
    /// The shared strings, which calamine holds in memory whole.
    pub max_shared_strings: u64,
    /// Cells of all worksheets (`<c …>` elements).
    pub max_cells: u64,
}

impl XlsxLimits {
    /// Room for a few hundred thousand rows of twenty columns.
    pub const DEFAULT: XlsxLimits = XlsxLimits {
        max_unzipped: 512 << 20,
        max_shared_strings: 64 << 20,
        max_cells: 10_000_000,
    };
}

/// Unpacks every part of an .xlsx once, without keeping it, and refuses the file when the
/// unpacked bytes or the cells pass `limits`. Sizes are counted as they inflate (the sizes
/// a zip declares can lie), and inflating stops at the first limit passed, so the check
/// itself stays within a small buffer.
pub fn check_xlsx(bytes: &[u8], limits: XlsxLimits) -> Result<(), RosterError> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| RosterError::Unreadable(e.to_string()))?;
    let mut total: u64 = 0;
    let mut cells: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let mut part = zip
            .by_index(i)
            .map_err(|e| RosterError::Unreadable(e.to_string()))?;
        // A part whose name cannot be read is counted like any other.
        let name = part.name().map(|n| n.to_string()).unwrap_or_default();
        let shared = name.ends_with("sharedStrings.xml");
        let sheet = name.starts_with("xl/worksheets/");
        let mut size: u64 = 0;
        // The last two bytes of the previous chunk, so that `<c ` split across chunks counts.
        let mut carry: Vec<u8> = Vec::new();
        loop {
            let n = part
                .read(&mut buf)
                .map_err(|e| RosterError::Unreadable(e.to_string()))?;
            if n == 0 {
                break;
            }
            size += n as u64;
            total += n as u64;
            if total > limits.max_unzipped {
                return Err(RosterError::TooLarge("unpacked size"));
            }
            if shared && size > limits.max_shared_strings {
                return Err(RosterError::TooLarge("shared strings"));
            }
            if sheet {
                carry.extend_from_slice(&buf[..n]);
                cells += carry
                    .windows(3)
                    .filter(|w| w[0] == b'<' && w[1] == b'c' && matches!(w[2], b' ' | b'>' | b'/'))
                    .count() as u64;
                if cells > limits.max_cells {
                    return Err(RosterError::TooLarge("cells"));
                }
                let keep = carry.len().min(2);
                carry.drain(..carry.len() - keep);
            }
        }
    }
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Xls,
    Text,
}

/// Recognises the format by content, not by name.
pub fn sniff(bytes: &[u8]) -> Format {
    if bytes.starts_with(b"PK\x03\x04") {
        Format::Xlsx
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        Format::Xls
    } else {
        Format::Text
    }
}

/// Calls `sink` for every non-empty row of the first sheet, in order, until it breaks.
pub fn read_rows(
    bytes: &[u8],
    sink: impl FnMut(RawRow) -> ControlFlow<()>,
) -> Result<(), RosterError> {
    read_rows_limited(bytes, XlsxLimits::DEFAULT, sink)
}

/// [`read_rows`] with other limits for an .xlsx.
pub fn read_rows_limited(
    bytes: &[u8],
    limits: XlsxLimits,
    mut sink: impl FnMut(RawRow) -> ControlFlow<()>,
) -> Result<(), RosterError> {
    match sniff(bytes) {
        Format::Xlsx => {
            check_xlsx(bytes, limits)?;
            read_xlsx(bytes, &mut sink)
        }
        Format::Xls => read_xls(bytes, &mut sink),
        Format::Text => read_text(bytes, &mut sink),
    }
}

fn number_text(f: f64) -> CellText {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        CellText::new(format!("{}", f as i64))
    } else if f.fract() == 0.0 || f.abs() >= 1e15 {
        CellText {
            text: format!("{f:.0}"),
            lossy_number: true,
        }
    } else {
        CellText::new(f.to_string())
    }
}

fn cell_text(d: &DataRef<'_>) -> CellText {
    match d {
        DataRef::Int(i) => CellText::new(i.to_string()),
        DataRef::Float(f) => number_text(*f),
        DataRef::String(s) => CellText::new(s.trim()),
        DataRef::SharedString(s) => CellText::new(s.trim()),
        DataRef::Bool(b) => CellText::new(b.to_string()),
        DataRef::DateTime(dt) => match dt.as_datetime() {
            Some(d) => CellText::new(d.date().format("%Y-%m-%d").to_string()),
            None => number_text(dt.as_f64()),
        },
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => CellText::new(s.trim()),
        DataRef::Error(_) => CellText::new("#ERROR"),
        DataRef::Empty => CellText::default(),
    }
}

fn flush(
    row_no: u32,
    cells: &mut Vec<CellText>,
    sink: &mut impl FnMut(RawRow) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let row = std::mem::take(cells);
    if row.iter().any(|c| !c.text.is_empty()) {
        sink((row_no, row))
    } else {
        ControlFlow::Continue(())
    }
}

fn read_xlsx(
    bytes: &[u8],
    sink: &mut impl FnMut(RawRow) -> ControlFlow<()>,
) -> Result<(), RosterError> {
    let mut wb: calamine::Xlsx<_> = calamine::Xlsx::new(Cursor::new(bytes))
        .map_err(|e| RosterError::Unreadable(e.to_string()))?;
    let name = wb
        .sheet_names()
        .first()
        .cloned()
        .ok_or(RosterError::NoSheet)?;
    let mut cells = wb
        .worksheet_cells_reader(&name)
        .map_err(|e| RosterError::Unreadable(e.to_string()))?;
    let mut current: Option<u32> = None;
    let mut row: Vec<CellText> = Vec::new();
    while let Some(cell) = cells
        .next_cell()
        .map_err(|e| RosterError::Unreadable(e.to_string()))?
    {
        let (r, c) = cell.get_position();
        if current != Some(r) {
            if let Some(prev) = current
                && flush(prev + 1, &mut row, sink).is_break()
            {
                return Ok(());
            }
            current = Some(r);
        }
        let c = c as usize;
        if c >= 256 {
            continue;
        }
        if row.len() <= c {
            row.resize(c + 1, CellText::default());
        }
        row[c] = cell_text(cell.get_value());
    }
    if let Some(prev) = current {
        let _ = flush(prev + 1, &mut row, sink);
    }
    Ok(())
}

fn read_xls(
    bytes: &[u8],
    sink: &mut impl FnMut(RawRow) -> ControlFlow<()>,
) -> Result<(), RosterError> {
    let mut wb: calamine::Xls<_> = calamine::Xls::new(Cursor::new(bytes))
        .map_err(|e| RosterError::Unreadable(e.to_string()))?;
    let name = wb
        .sheet_names()
        .first()
        .cloned()
        .ok_or(RosterError::NoSheet)?;
    let range = wb
        .worksheet_range(&name)
        .map_err(|e| RosterError::Unreadable(e.to_string()))?;
    let start_row = range.start().map(|(r, _)| r).unwrap_or(0);
    let start_col = range.start().map(|(_, c)| c).unwrap_or(0) as usize;
    for (i, r) in range.rows().enumerate() {
        let mut cells = vec![CellText::default(); start_col];
        cells.extend(r.iter().map(|d| {
            let dr: DataRef<'_> = match d {
                calamine::Data::Int(i) => DataRef::Int(*i),
                calamine::Data::Float(f) => DataRef::Float(*f),
                calamine::Data::String(s) => DataRef::String(s.clone()),
                calamine::Data::Bool(b) => DataRef::Bool(*b),
                calamine::Data::DateTime(d) => DataRef::DateTime(*d),
                calamine::Data::DateTimeIso(s) => DataRef::DateTimeIso(s.clone()),
                calamine::Data::DurationIso(s) => DataRef::DurationIso(s.clone()),
                calamine::Data::Error(e) => DataRef::Error(e.clone()),
                calamine::Data::Empty => DataRef::Empty,
            };
            cell_text(&dr)
        }));
        if flush(start_row + i as u32 + 1, &mut cells, sink).is_break() {
            break;
        }
    }
    Ok(())
}

/// Decodes text the way Chinese offices save it: UTF-8 (with or without BOM), UTF-16 with
/// BOM ("Unicode text" from Excel), otherwise GB18030 (which includes GBK and GB2312).
pub fn decode_text(bytes: &[u8]) -> Result<String, RosterError> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return std::str::from_utf8(rest)
            .map(str::to_string)
            .map_err(|_| RosterError::NotSpreadsheet);
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        let enc = if bytes[0] == 0xFF {
            encoding_rs::UTF_16LE
        } else {
            encoding_rs::UTF_16BE
        };
        let (s, _, bad) = enc.decode(bytes);
        return if bad {
            Err(RosterError::NotSpreadsheet)
        } else {
            Ok(s.into_owned())
        };
    }
    if bytes.contains(&0) {
        return Err(RosterError::NotSpreadsheet);
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_string());
    }
    let (s, _, bad) = encoding_rs::GB18030.decode(bytes);
    if bad {
        Err(RosterError::NotSpreadsheet)
    } else {
        Ok(s.into_owned())
    }
}

fn read_text(
    bytes: &[u8],
    sink: &mut impl FnMut(RawRow) -> ControlFlow<()>,
) -> Result<(), RosterError> {
    let text = decode_text(bytes)?;
    // A title row ("某某中学教职工花名册") may stand alone on the first line: judge the
    // delimiter by the first lines that have one, as the header is searched for.
    let head: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(10)
        .collect();
    let delimited = |d: char| head.iter().filter(|l| l.contains(d)).count();
    let (commas, tabs) = (delimited(','), delimited('\t'));
    // Plain prose is not a roster: require a delimiter in the first lines.
    if commas == 0 && tabs == 0 {
        return Err(RosterError::NotSpreadsheet);
    }
    let delimiter = if tabs > commas { b'\t' } else { b',' };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rec = csv::StringRecord::new();
    // The line a record starts on, counted here: the csv crate's own count lags by one after
    // a CRLF line end (it counts the LF when it reads the next record), which is how Excel
    // ends lines — rows were named one too low.
    let raw = text.as_bytes();
    let (mut counted_to, mut newlines) = (0usize, 0u32);
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                let mut start = rec.position().map(|p| p.byte() as usize).unwrap_or(0);
                while raw.get(start).is_some_and(|b| *b == b'\r' || *b == b'\n') {
                    start += 1;
                }
                let start = start.min(raw.len()).max(counted_to);
                // A line ends at LF, CRLF, or a lone CR (old Mac files; the csv crate ends a
                // record there too, so counting LF alone gave two rows the same number).
                newlines += (counted_to..start)
                    .filter(|&i| {
                        raw[i] == b'\n' || (raw[i] == b'\r' && raw.get(i + 1) != Some(&b'\n'))
                    })
                    .count() as u32;
                counted_to = start;
                let line = newlines + 1;
                let mut cells: Vec<CellText> =
                    rec.iter().map(|s| CellText::new(s.trim())).collect();
                if flush(line, &mut cells, sink).is_break() {
                    break;
                }
            }
            Err(e) => return Err(RosterError::Unreadable(e.to_string())),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(bytes: &[u8]) -> Result<Vec<RawRow>, RosterError> {
        let mut out = Vec::new();
        read_rows(bytes, |r| {
            out.push(r);
            ControlFlow::Continue(())
        })?;
        Ok(out)
    }

    #[test]
    fn lines_ended_by_a_lone_cr_get_their_own_row_numbers() {
        // Found by the fuzz target `roster_file` (a UTF-16 file with CR line ends): the
        // rows were numbered by LF alone, so every row of the file was "row 1".
        let r = rows("姓名,身份证号\r张三,1\r李四,2\r\n王五,3\n".as_bytes()).unwrap();
        let numbers: Vec<u32> = r.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, [1, 2, 3, 4]);
    }

    #[test]
    fn utf8_csv_with_bom_is_read_and_blank_lines_skipped() {
        let r = rows("\u{feff}姓名,身份证号\n张三,1\n,\n李四,2\n".as_bytes()).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].1[0].text, "姓名");
        assert_eq!(r[2].0, 4);
    }

    #[test]
    fn a_csv_with_a_title_line_keeps_line_numbers_as_the_user_sees_them() {
        let r = rows("花名册\r\n姓名,身份证号\r\n张三,1\r\n\r\n李四,\"2\"\r\n".as_bytes()).unwrap();
        let numbers: Vec<u32> = r.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, vec![1, 2, 3, 5]);
    }

    #[test]
    fn gb18030_csv_is_decoded() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("姓名,岗位\n王五,教师\n");
        let r = rows(&bytes).unwrap();
        assert_eq!(r[1].1[1].text, "教师");
    }

    #[test]
    fn binary_files_are_not_spreadsheets() {
        assert_eq!(
            rows(b"%PDF-1.7\n\x00\x01\x02binary").unwrap_err(),
            RosterError::NotSpreadsheet
        );
        assert_eq!(
            rows("这不是表格，只是一段话".as_bytes()).unwrap_err(),
            RosterError::NotSpreadsheet
        );
    }

    #[test]
    fn a_broken_zip_is_unreadable() {
        assert!(matches!(
            rows(b"PK\x03\x04garbage").unwrap_err(),
            RosterError::Unreadable(_)
        ));
    }

    #[test]
    fn long_numbers_are_flagged_as_lossy() {
        assert!(number_text(330102198001010000.0).lossy_number);
        assert_eq!(number_text(45356.0).text, "45356");
        assert!(!number_text(45356.0).lossy_number);
    }
}
