//! News photos as uploaded: the file's type is decided by its content (the `image` crate
//! reads the magic bytes; the file name and the browser's content type are ignored), its
//! size and its pixel count are bounded before decoding, and what is kept is a new JPEG of
//! the decoded pixels scaled to at most [`PHOTO_SIDE`] on the longest side. Re-encoding
//! writes no metadata, so the upload's EXIF block — GPS position, camera, time — is gone;
//! the EXIF orientation is applied to the pixels first so the photo stays upright.
//!
//! This module never stores anything and never decides who may upload: it turns bytes into
//! a photo or into a field error at `photo`.

use domain::FieldError;
use domain::correspondent::text as t;
use domain::correspondent::{PHOTO_MAX_BYTES, PHOTO_MAX_INPUT_SIDE, PHOTO_SIDE};
use image::error::ImageError;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// A photo ready to store: a JPEG without metadata.
#[derive(Clone, Debug)]
pub struct Photo {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// JPEG quality of stored photos: small files for a phone, no visible blocks.
const QUALITY: u8 = 82;

fn not_image() -> FieldError {
    FieldError::new("photo", t::PHOTO_NOT_IMAGE)
}

fn too_large() -> FieldError {
    FieldError::new("photo", t::PHOTO_TOO_LARGE).arg("max", PHOTO_MAX_BYTES / (1024 * 1024))
}

fn too_many_pixels() -> FieldError {
    FieldError::new("photo", t::PHOTO_TOO_MANY_PIXELS).arg("max", PHOTO_MAX_INPUT_SIDE)
}

/// Decodes, bounds, scales and re-encodes an upload. CPU work: call it off the async
/// runtime (`spawn_blocking`).
pub fn process(data: &[u8]) -> Result<Photo, FieldError> {
    if data.len() > PHOTO_MAX_BYTES {
        return Err(too_large());
    }
    let mut reader = ImageReader::new(Cursor::new(data))
        .with_guessed_format()
        .map_err(|_| not_image())?;
    // Only what a phone or a camera sends; anything else is "not a photo", whatever its
    // name says.
    if !matches!(
        reader.format(),
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif)
    ) {
        return Err(not_image());
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(PHOTO_MAX_INPUT_SIDE);
    limits.max_image_height = Some(PHOTO_MAX_INPUT_SIDE);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    // Past the limits (dimensions or memory): too many pixels; anything else: no image.
    let refused = |e: ImageError| match e {
        ImageError::Limits(_) => too_many_pixels(),
        _ => not_image(),
    };
    let mut decoder = reader.into_decoder().map_err(refused)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(refused)?;
    img.apply_orientation(orientation);
    if img.width() > PHOTO_SIDE || img.height() > PHOTO_SIDE {
        img = img.resize(
            PHOTO_SIDE,
            PHOTO_SIDE,
            image::imageops::FilterType::Triangle,
        );
    }
    let rgb = img.to_rgb8();
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, QUALITY)
        .encode_image(&rgb)
        .map_err(|_| not_image())?;
    Ok(Photo {
        width: rgb.width(),
        height: rgb.height(),
        jpeg,
    })
}

/// A JPEG as a phone writes it: the pixels plus an EXIF block (APP1) holding a GPS
/// position (31°13'N 121°28'E) — for tests of the stripping.
pub fn jpeg_with_gps(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut plain = Vec::new();
    let _ = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 90).encode_image(&img);
    // TIFF, little endian: IFD0 with one entry (GPSInfo → the GPS IFD at 26), the GPS IFD
    // with GPSLatitudeRef "N" and GPSLatitude 31/1 13/1 0/1, GPSLongitudeRef "E".
    let mut tiff: Vec<u8> = b"II*\0".to_vec();
    tiff.extend(8u32.to_le_bytes());
    tiff.extend(1u16.to_le_bytes());
    tiff.extend([0x25, 0x88, 4, 0]); // tag 0x8825, type LONG
    tiff.extend(1u32.to_le_bytes());
    tiff.extend(26u32.to_le_bytes());
    tiff.extend(0u32.to_le_bytes());
    // GPS IFD at 26: three entries, then the rationals at 26 + 2 + 36 + 4 = 68.
    tiff.extend(3u16.to_le_bytes());
    tiff.extend([1, 0, 2, 0]);
    tiff.extend(2u32.to_le_bytes());
    tiff.extend([b'N', 0, 0, 0]);
    tiff.extend([2, 0, 5, 0]);
    tiff.extend(3u32.to_le_bytes());
    tiff.extend(68u32.to_le_bytes());
    tiff.extend([3, 0, 2, 0]);
    tiff.extend(2u32.to_le_bytes());
    tiff.extend([b'E', 0, 0, 0]);
    tiff.extend(0u32.to_le_bytes());
    for (n, d) in [(31u32, 1u32), (13, 1), (0, 1)] {
        tiff.extend(n.to_le_bytes());
        tiff.extend(d.to_le_bytes());
    }
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(&tiff);
    let len = (app1.len() + 2) as u16;
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend(len.to_be_bytes());
    out.extend(app1);
    out.extend(&plain[2..]);
    out
}

/// Whether a JPEG carries an EXIF block (an APP1 segment starting `Exif`).
pub fn has_exif(jpeg: &[u8]) -> bool {
    let mut i = 2;
    while i + 4 <= jpeg.len() && jpeg[i] == 0xFF {
        let marker = jpeg[i + 1];
        if marker == 0xDA {
            break;
        }
        let len = usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
        if marker == 0xE1 && jpeg.get(i + 4..i + 10) == Some(b"Exif\0\0") {
            return true;
        }
        i += 2 + len;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn news_a_phone_jpeg_with_gps_comes_out_smaller_and_without_its_location() {
        let input = jpeg_with_gps(2400, 1800);
        assert!(has_exif(&input), "the test photo carries EXIF");
        // The position is there to be read, until processed.
        let pos = |b: &[u8]| b.windows(4).any(|w| w == [0x25, 0x88, 4, 0]);
        assert!(pos(&input));
        let p = process(&input).unwrap();
        assert!(!has_exif(&p.jpeg), "EXIF dropped");
        assert!(!pos(&p.jpeg) && !p.jpeg.windows(4).any(|w| w == b"Exif"));
        assert_eq!(
            (p.width, p.height),
            (1600, 1200),
            "scaled to the longest side"
        );
        let back = image::load_from_memory(&p.jpeg).unwrap();
        assert_eq!((back.width(), back.height()), (1600, 1200));
    }

    #[test]
    fn news_a_text_file_named_jpg_is_no_photo_and_a_huge_file_is_too_large() {
        assert_eq!(
            process(b"just text, named photo.jpg").unwrap_err().key,
            t::PHOTO_NOT_IMAGE
        );
        // JPEG magic bytes and nothing behind them: not a photo either.
        assert_eq!(
            process(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]).unwrap_err().key,
            t::PHOTO_NOT_IMAGE
        );
        let mut big = jpeg_with_gps(8, 8);
        big.resize(PHOTO_MAX_BYTES + 1, 0);
        let e = process(&big).unwrap_err();
        assert_eq!((e.field, e.key), ("photo", t::PHOTO_TOO_LARGE));
    }

    #[test]
    fn news_a_small_file_declaring_a_huge_image_is_refused_before_decoding() {
        // A PNG header declaring 60000 x 60000 pixels.
        let img = image::RgbImage::new(4, 4);
        let mut png = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .unwrap();
        png[16..20].copy_from_slice(&60_000u32.to_be_bytes());
        png[20..24].copy_from_slice(&60_000u32.to_be_bytes());
        let e = process(&png).unwrap_err();
        assert_eq!(e.field, "photo");
        assert!(
            e.key == t::PHOTO_TOO_MANY_PIXELS || e.key == t::PHOTO_NOT_IMAGE,
            "{}",
            e.key
        );
    }
}
