//! Certificates (获奖证书) as real PDF documents, drawn on the server with `krilla` (no
//! browser): the organizer's name, the winner, the contest, the entry, the prize, the date
//! and a verification code with its QR code pointing at the public page that confirms the
//! certificate is genuine. One certificate per page; a batch of all winners is one
//! document, and the font is embedded once as a subset of the glyphs used, so pages stay
//! small.
//!
//! The Chinese font is the file named by `JIAOGONG_CERTIFICATE_FONT` (a .ttf, .otf or
//! .ttc), or else the first Noto CJK (Debian `fonts-noto-cjk`) or other CJK font found in
//! the usual places. When none is found the error names the fix. This module does no
//! database work and never decides who may read a certificate.

use krilla::Document;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// The environment variable naming the certificate font file.
pub const FONT_ENV: &str = "JIAOGONG_CERTIFICATE_FONT";

/// Where the system's CJK fonts usually are (Debian/Ubuntu, Fedora, Arch, Alpine).
const CANDIDATES: &[&str] = &[
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
];

/// Why no certificate could be drawn.
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error(
        "no Chinese (CJK) font found for certificates: install Debian's fonts-noto-cjk (apt-get install fonts-noto-cjk) or set JIAOGONG_CERTIFICATE_FONT to a .ttf/.otf/.ttc file"
    )]
    NoFont,
    #[error(
        "the certificate font {0} (JIAOGONG_CERTIFICATE_FONT) cannot be read or is no font with Chinese glyphs"
    )]
    BadFont(PathBuf),
    #[error("the certificate PDF could not be written: {0}")]
    Pdf(String),
}

/// What one certificate says.
#[derive(Clone, Debug)]
pub struct CertificateText {
    /// The union that awards it (the contest's organizer).
    pub union: String,
    /// The winner (the entrants as submitted).
    pub recipient: String,
    pub school: String,
    pub contest: String,
    pub title: String,
    /// The prize as read (一等奖).
    pub prize: String,
    /// The date as read (2026年5月31日).
    pub date: String,
    /// The verification code and the address of the public page checking it.
    pub code: String,
    pub verify_url: String,
    /// An honour (荣誉证书: `contest` is the award, `title` and `prize` unused) rather than
    /// a prize (获奖证书).
    pub honour: bool,
}

/// A loaded font: the file's bytes and the face to use (Simplified Chinese in a
/// collection).
#[derive(Clone)]
pub struct CjkFont {
    // Read by the year summary's PDF too (`work_summary::export`).
    pub(crate) data: Arc<Vec<u8>>,
    pub(crate) index: u32,
}

static SYSTEM_FONT: OnceLock<CjkFont> = OnceLock::new();

/// The face of a collection to use: the one whose family names Simplified Chinese, or
/// else the first with CJK glyphs.
fn pick_face(data: &[u8]) -> Option<u32> {
    let n = ttf_parser::fonts_in_collection(data).unwrap_or(1);
    let mut first = None;
    for i in 0..n {
        let Ok(face) = ttf_parser::Face::parse(data, i) else {
            continue;
        };
        if face.glyph_index('证').is_none() {
            continue;
        }
        first.get_or_insert(i);
        let sc = face.names().into_iter().any(|name| {
            name.name_id == ttf_parser::name_id::FAMILY
                && name
                    .to_string()
                    .is_some_and(|s| s.contains(" SC") || s.contains("GB"))
        });
        if sc {
            return Some(i);
        }
    }
    first
}

fn load(path: &Path) -> Option<CjkFont> {
    let data = std::fs::read(path).ok()?;
    let index = pick_face(&data)?;
    Some(CjkFont {
        data: Arc::new(data),
        index,
    })
}

/// The certificate font: `JIAOGONG_CERTIFICATE_FONT` when set (an error naming it when it
/// is unusable), else the first system CJK font found (read once per process).
pub fn font() -> Result<CjkFont, CertificateError> {
    if let Some(p) = std::env::var_os(FONT_ENV).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return load(&p).ok_or(CertificateError::BadFont(p));
    }
    if let Some(f) = SYSTEM_FONT.get() {
        return Ok(f.clone());
    }
    let f = font_from(CANDIDATES.iter().map(PathBuf::from))?;
    Ok(SYSTEM_FONT.get_or_init(|| f).clone())
}

/// The first usable font of `paths` (the search, testable without the system's fonts).
pub fn font_from(paths: impl IntoIterator<Item = PathBuf>) -> Result<CjkFont, CertificateError> {
    paths
        .into_iter()
        .find_map(|p| load(&p))
        .ok_or(CertificateError::NoFont)
}

/// Measures text with the face's advances (points at `size`).
struct Measure<'a> {
    face: ttf_parser::Face<'a>,
}

impl Measure<'_> {
    fn width(&self, text: &str, size: f32) -> f32 {
        let upem = f32::from(self.face.units_per_em().max(1));
        text.chars()
            .map(|c| {
                self.face
                    .glyph_index(c)
                    .and_then(|g| self.face.glyph_hor_advance(g))
                    .map(f32::from)
                    .unwrap_or(upem)
            })
            .sum::<f32>()
            * size
            / upem
    }

    /// Breaks `text` into lines no wider than `max` (by character: Chinese has no spaces).
    fn wrap(&self, text: &str, size: f32, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for c in text.chars() {
            let mut next = line.clone();
            next.push(c);
            if !line.is_empty() && self.width(&next, size) > max {
                lines.push(std::mem::take(&mut line));
                line.push(c);
            } else {
                line = next;
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }
}

const W: f32 = 842.0;
const H: f32 = 595.0;

fn fill(r: u8, g: u8, b: u8) -> Fill {
    Fill {
        paint: krilla::color::rgb::Color::new(r, g, b).into(),
        ..Fill::default()
    }
}

/// Draws the certificates, one per page, as one PDF.
pub fn render(font: &CjkFont, certs: &[CertificateText]) -> Result<Vec<u8>, CertificateError> {
    let face = ttf_parser::Face::parse(&font.data, font.index)
        .map_err(|e| CertificateError::Pdf(e.to_string()))?;
    let m = Measure { face };
    let kfont = Font::new(font.data.clone().into(), font.index)
        .ok_or_else(|| CertificateError::Pdf("the font cannot be embedded".into()))?;
    let mut doc = Document::new();
    for c in certs {
        let settings =
            PageSettings::from_wh(W, H).ok_or_else(|| CertificateError::Pdf("page size".into()))?;
        let mut page = doc.start_page_with(settings);
        let mut s = page.surface();
        // A double red frame.
        for (inset, width) in [(18.0, 3.0), (28.0, 1.0)] {
            let mut pb = PathBuilder::new();
            if let Some(r) = Rect::from_xywh(inset, inset, W - 2.0 * inset, H - 2.0 * inset) {
                pb.push_rect(r);
            }
            if let Some(path) = pb.finish() {
                s.set_fill(None);
                s.set_stroke(Some(Stroke {
                    paint: krilla::color::rgb::Color::new(178, 34, 34).into(),
                    width,
                    ..Stroke::default()
                }));
                s.draw_path(&path);
            }
        }
        s.set_stroke(None);
        let text = |s: &mut krilla::surface::Surface, x: f32, y: f32, size: f32, t: &str| {
            s.draw_text(
                Point::from_xy(x, y),
                kfont.clone(),
                size,
                t,
                false,
                TextDirection::Auto,
            );
        };
        let centered = |size: f32, t: &str| (W - m.width(t, size)) / 2.0;
        s.set_fill(Some(fill(178, 34, 34)));
        let head = if c.honour {
            "荣 誉 证 书"
        } else {
            "获 奖 证 书"
        };
        text(&mut s, centered(44.0, head), 110.0, 44.0, head);
        s.set_fill(Some(fill(20, 20, 20)));
        let to = format!("{}（{}）：", c.recipient, c.school);
        let mut y = 170.0;
        for line in m.wrap(&to, 20.0, W - 160.0) {
            text(&mut s, 80.0, y, 20.0, &line);
            y += 30.0;
        }
        let body = if c.honour {
            format!("经评选、公示，被{}授予", c.union)
        } else {
            format!(
                "在{}举办的“{}”中，作品《{}》荣获",
                c.union, c.contest, c.title
            )
        };
        for line in m.wrap(&body, 20.0, W - 200.0) {
            text(&mut s, 120.0, y, 20.0, &line);
            y += 30.0;
        }
        s.set_fill(Some(fill(178, 34, 34)));
        y += 18.0;
        let prize = if c.honour {
            format!("“{}”", c.contest)
        } else {
            c.prize.clone()
        };
        let size = if c.honour { 32.0 } else { 40.0 };
        text(&mut s, centered(size, &prize), y, size, &prize);
        s.set_fill(Some(fill(20, 20, 20)));
        y += 44.0;
        text(&mut s, 120.0, y, 20.0, "特发此证，以资鼓励。");
        // The awarding union and the date, right-aligned.
        let right = W - 90.0;
        text(
            &mut s,
            right - m.width(&c.union, 20.0),
            470.0,
            20.0,
            &c.union,
        );
        text(&mut s, right - m.width(&c.date, 18.0), 500.0, 18.0, &c.date);
        // The QR code and the verification code, bottom left.
        if let Ok(qr) = qrcode::QrCode::new(c.verify_url.as_bytes()) {
            let n = qr.width();
            let colors = qr.to_colors();
            let size = 96.0;
            let cell = size / n as f32;
            let (x0, y0) = (60.0, H - 60.0 - size);
            let mut pb = PathBuilder::new();
            for (i, col) in colors.iter().enumerate() {
                if *col == qrcode::Color::Dark {
                    let (cx, cy) = ((i % n) as f32, (i / n) as f32);
                    if let Some(r) = Rect::from_xywh(x0 + cx * cell, y0 + cy * cell, cell, cell) {
                        pb.push_rect(r);
                    }
                }
            }
            if let Some(path) = pb.finish() {
                s.set_fill(Some(fill(0, 0, 0)));
                s.draw_path(&path);
            }
        }
        s.set_fill(Some(fill(60, 60, 60)));
        text(
            &mut s,
            170.0,
            H - 120.0,
            11.0,
            &format!("验证码：{}", c.code),
        );
        text(
            &mut s,
            170.0,
            H - 102.0,
            9.0,
            "扫码或在公开页面输入验证码，核验证书真伪",
        );
        text(&mut s, 170.0, H - 88.0, 8.0, &c.verify_url);
        s.finish();
        page.finish();
    }
    doc.finish()
        .map_err(|e| CertificateError::Pdf(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contests_a_missing_font_names_the_fix() {
        let e = font_from([PathBuf::from("/nonexistent/font.ttc")])
            .err()
            .unwrap();
        let msg = e.to_string();
        assert!(
            msg.contains("fonts-noto-cjk") && msg.contains(FONT_ENV),
            "{msg}"
        );
    }
}
