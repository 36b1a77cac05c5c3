//! The year summary as files to hand on: a Word document (.docx, written with `docx-rs`)
//! and a PDF (drawn with `krilla`, the Chinese font found as the contests' certificates
//! find theirs). Both take the same text the print view shows — the edited text, or the
//! sentences written from the snapshot — so a figure reads the same everywhere.
//!
//! This module renders only: it never reads the database and never decides who may export.

use crate::contests::certificate::{CertificateError, CjkFont};
use docx_rs::{AlignmentType, Docx, Paragraph, Run, RunFonts};
use krilla::Document;
use krilla::geom::Point;
use krilla::page::PageSettings;
use krilla::text::{Font, TextDirection};

/// One block of the exported text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    Title(String),
    Heading(String),
    Para(String),
    /// A small closing line (the sources' rule-set version).
    Note(String),
}

/// The font name Word uses for the Chinese text (any Song face the reader has).
const ZH_FONT: &str = "宋体";

fn run(text: &str, half_points: usize) -> Run {
    Run::new()
        .add_text(text)
        .size(half_points)
        .fonts(RunFonts::new().east_asia(ZH_FONT))
}

/// The summary as a .docx file.
pub fn docx(blocks: &[Block]) -> Result<Vec<u8>, String> {
    let mut d = Docx::new();
    for b in blocks {
        let p = match b {
            Block::Title(t) => Paragraph::new()
                .add_run(run(t, 36).bold())
                .align(AlignmentType::Center),
            Block::Heading(t) => Paragraph::new().add_run(run(t, 28).bold()),
            Block::Para(t) => Paragraph::new().add_run(run(t, 24)),
            Block::Note(t) => Paragraph::new().add_run(run(t, 18)),
        };
        d = d.add_paragraph(p);
    }
    let mut out = std::io::Cursor::new(Vec::new());
    d.build().pack(&mut out).map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

/// Width of `text` at `size` points with the face's advances.
fn width(face: &ttf_parser::Face<'_>, text: &str, size: f32) -> f32 {
    let upem = f32::from(face.units_per_em().max(1));
    text.chars()
        .map(|c| {
            face.glyph_index(c)
                .and_then(|g| face.glyph_hor_advance(g))
                .map(f32::from)
                .unwrap_or(upem)
        })
        .sum::<f32>()
        * size
        / upem
}

/// Lines no wider than `max`, broken between characters (Chinese has no spaces; an English
/// line breaks at the last space when there is one).
fn wrap(face: &ttf_parser::Face<'_>, text: &str, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for c in text.chars() {
        line.push(c);
        if width(face, &line, size) > max && line.chars().count() > 1 {
            let last = line.pop().unwrap_or(c);
            let cut = line
                .rfind(' ')
                .filter(|i| *i > 0 && line.is_ascii())
                .unwrap_or(line.len());
            let rest = line.split_off(cut);
            lines.push(std::mem::take(&mut line));
            line = rest.trim_start().to_string();
            line.push(last);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

const W: f32 = 595.0;
const H: f32 = 842.0;
const MARGIN: f32 = 72.0;

/// The summary as an A4 PDF with the Chinese font embedded (a subset of the glyphs used).
pub fn pdf(font: &CjkFont, blocks: &[Block]) -> Result<Vec<u8>, CertificateError> {
    let face = ttf_parser::Face::parse(&font.data, font.index)
        .map_err(|e| CertificateError::Pdf(e.to_string()))?;
    let kfont = Font::new(font.data.clone().into(), font.index)
        .ok_or_else(|| CertificateError::Pdf("the font cannot be embedded".into()))?;
    // Lay the lines out first: (page, x, y, size, text).
    let mut lines: Vec<(usize, f32, f32, f32, String)> = Vec::new();
    let (mut page, mut y) = (0usize, MARGIN);
    for b in blocks {
        let (size, gap, centered, indent) = match b {
            Block::Title(_) => (18.0, 18.0, true, 0.0),
            Block::Heading(_) => (14.0, 10.0, false, 0.0),
            Block::Para(_) => (11.5, 6.0, false, 23.0),
            Block::Note(_) => (9.0, 6.0, false, 0.0),
        };
        let (Block::Title(t) | Block::Heading(t) | Block::Para(t) | Block::Note(t)) = b;
        y += gap;
        for (i, l) in wrap(&face, t, size, W - 2.0 * MARGIN - indent)
            .into_iter()
            .enumerate()
        {
            if y + size > H - MARGIN {
                page += 1;
                y = MARGIN;
            }
            y += size * 1.6;
            let x = if centered {
                (W - width(&face, &l, size)) / 2.0
            } else if i == 0 {
                MARGIN + indent
            } else {
                MARGIN
            };
            lines.push((page, x, y, size, l));
        }
    }
    let mut doc = Document::new();
    for p in 0..=page {
        let settings =
            PageSettings::from_wh(W, H).ok_or_else(|| CertificateError::Pdf("page size".into()))?;
        let mut pg = doc.start_page_with(settings);
        let mut s = pg.surface();
        for (_, x, y, size, t) in lines.iter().filter(|l| l.0 == p) {
            s.draw_text(
                Point::from_xy(*x, *y),
                kfont.clone(),
                *size,
                t,
                false,
                TextDirection::Auto,
            );
        }
        s.finish();
        pg.finish();
    }
    doc.finish()
        .map_err(|e| CertificateError::Pdf(format!("{e:?}")))
}
