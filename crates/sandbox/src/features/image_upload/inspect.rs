//! What the image upload (topic 21) knows about an image's bytes: their type from the magic
//! bytes, the size the header declares, and the decode, re-encode and thumbnail under
//! limits. Nothing here trusts the client's file name or declared type.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder as _, ImageFormat, ImageReader, Limits};

/// The largest image file accepted, in bytes.
pub const MAX_IMAGE_BYTES: usize = 4 * 1024 * 1024;
/// The longest side accepted, in pixels.
pub const MAX_SIDE: u32 = 8192;
/// The most pixels accepted: about 64 MiB once decoded to RGBA.
pub const MAX_PIXELS: u64 = 16_000_000;
/// What the decoder may allocate at once (a 16-bit RGBA image at the pixel limit).
const MAX_DECODE_BYTES: u64 = MAX_PIXELS * 8;
/// The stored image is scaled down to fit this square.
pub const FULL_SIDE: u32 = 2048;
/// The thumbnail fits this square.
pub const THUMBNAIL_SIDE: u32 = 256;

/// The formats accepted, each recognised by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    WebP,
}

impl ImageKind {
    // region: image-sniff
    /// The format the bytes begin with, if it is one we accept. Only the bytes count: a
    /// file name or a `Content-Type` costs nothing to fake.
    pub fn sniff(bytes: &[u8]) -> Option<ImageKind> {
        const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
        match bytes {
            [0x89, b'P', b'N', b'G', ..] if bytes.starts_with(PNG) => Some(ImageKind::Png),
            [0xFF, 0xD8, 0xFF, ..] => Some(ImageKind::Jpeg),
            [
                b'R',
                b'I',
                b'F',
                b'F',
                _,
                _,
                _,
                _,
                b'W',
                b'E',
                b'B',
                b'P',
                ..,
            ] => Some(ImageKind::WebP),
            _ => None,
        }
    }
    // endregion

    pub fn mime(self) -> &'static str {
        match self {
            ImageKind::Png => "image/png",
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::WebP => "image/webp",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ImageKind::Png => "png",
            ImageKind::Jpeg => "jpg",
            ImageKind::WebP => "webp",
        }
    }

    fn name(self) -> &'static str {
        match self {
            ImageKind::Png => "PNG",
            ImageKind::Jpeg => "JPEG",
            ImageKind::WebP => "WebP",
        }
    }

    fn format(self) -> ImageFormat {
        match self {
            ImageKind::Png => ImageFormat::Png,
            ImageKind::Jpeg => ImageFormat::Jpeg,
            ImageKind::WebP => ImageFormat::WebP,
        }
    }
}

/// Why an image was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// The bytes are not one of the accepted formats.
    NotAnImage { starts_with: String },
    /// The header declares more pixels than the limits allow.
    TooManyPixels { width: u32, height: u32 },
    /// The header or the pixel data could not be read: truncated or corrupt.
    Unreadable { kind: &'static str, cause: String },
}

impl Refused {
    pub fn reason(&self) -> String {
        match self {
            Refused::NotAnImage { starts_with } => format!(
                "the file is not a PNG, JPEG or WebP image: its first bytes are {starts_with}"
            ),
            Refused::TooManyPixels { width, height } => format!(
                "the header declares {width} x {height} pixels; images are limited to \
                 {MAX_SIDE} pixels a side and {} megapixels, so it was not decoded",
                MAX_PIXELS / 1_000_000
            ),
            Refused::Unreadable { kind, cause } => {
                format!("the {kind} could not be decoded (truncated or corrupt): {cause}")
            }
        }
    }
}

/// The first bytes, as text when they are printable, else as hex.
pub fn describe_start(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(8)];
    if head.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        format!("{:?}", String::from_utf8_lossy(head))
    } else {
        let hex: Vec<String> = head.iter().map(|b| format!("{b:02X}")).collect();
        hex.join(" ")
    }
}

fn unreadable(kind: ImageKind, error: &image::ImageError) -> Refused {
    Refused::Unreadable {
        kind: kind.name(),
        cause: error.to_string(),
    }
}

// region: image-limits
/// Width and height as the header declares them. Only the header is parsed: no pixel is
/// decoded and nothing the size of the image is allocated.
pub fn declared_size(kind: ImageKind, bytes: &[u8]) -> Result<(u32, u32), Refused> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), kind.format());
    // The limits are checked below with a clear answer; reading a header allocates little.
    reader.no_limits();
    reader
        .into_dimensions()
        .map_err(|error| unreadable(kind, &error))
}

/// Refuses a decompression bomb: a few kilobytes that declare a gigapixel image.
pub fn check_pixels(width: u32, height: u32) -> Result<(), Refused> {
    let pixels = u64::from(width) * u64::from(height);
    if width > MAX_SIDE || height > MAX_SIDE || pixels > MAX_PIXELS {
        return Err(Refused::TooManyPixels { width, height });
    }
    Ok(())
}

/// The decoder's own limits: the same caps, enforced again while decoding, in case the
/// data disagrees with the header.
fn decode_limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    limits
}
// endregion

/// One encoded version of an image.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// The versions stored for an accepted image.
#[derive(Debug, Clone)]
pub struct Processed {
    pub full: Encoded,
    pub thumbnail: Encoded,
}

// region: image-process
/// Decodes under limits, turns the image upright from its EXIF orientation, and encodes it
/// again from pixels: metadata (GPS position, camera serial) and anything hidden after the
/// image data do not survive. Makes the thumbnail from the same pixels. CPU-bound: run it
/// off the async threads.
pub fn process(kind: ImageKind, bytes: &[u8]) -> Result<Processed, Refused> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), kind.format());
    reader.limits(decode_limits());
    let mut decoder = reader
        .into_decoder()
        .map_err(|error| unreadable(kind, &error))?;
    let orientation = decoder
        .orientation()
        .map_err(|error| unreadable(kind, &error))?;
    let mut image =
        DynamicImage::from_decoder(decoder).map_err(|error| unreadable(kind, &error))?;
    image.apply_orientation(orientation);

    let full = if image.width() > FULL_SIDE || image.height() > FULL_SIDE {
        image.resize(FULL_SIDE, FULL_SIDE, FilterType::Triangle)
    } else {
        image
    };
    let thumbnail = if full.width() > THUMBNAIL_SIDE || full.height() > THUMBNAIL_SIDE {
        full.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE)
    } else {
        full.clone()
    };
    Ok(Processed {
        full: encode(&full, kind)?,
        thumbnail: encode(&thumbnail, kind)?,
    })
}
// endregion

/// Encodes in the format the image came in (JPEG at quality 85; PNG and WebP lossless).
fn encode(image: &DynamicImage, kind: ImageKind) -> Result<Encoded, Refused> {
    let mut out = Cursor::new(Vec::new());
    let written = match kind {
        ImageKind::Jpeg => image.write_with_encoder(JpegEncoder::new_with_quality(&mut out, 85)),
        other => image.write_to(&mut out, other.format()),
    };
    written.map_err(|error| unreadable(kind, &error))?;
    Ok(Encoded {
        bytes: out.into_inner(),
        width: image.width(),
        height: image.height(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let mut out = Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(image)
            .write_to(&mut out, ImageFormat::Png)
            .expect("a PNG can be written");
        out.into_inner()
    }

    #[test]
    fn sniffs_by_content_and_nothing_else() {
        assert_eq!(ImageKind::sniff(&png(2, 2)), Some(ImageKind::Png));
        assert_eq!(
            ImageKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(ImageKind::Jpeg)
        );
        assert_eq!(
            ImageKind::sniff(b"RIFF\x10\0\0\0WEBPVP8 "),
            Some(ImageKind::WebP)
        );
        assert_eq!(ImageKind::sniff(b"RIFF\x10\0\0\0WAVEfmt "), None);
        assert_eq!(ImageKind::sniff(b"<svg onload=alert(1)>"), None);
        assert_eq!(ImageKind::sniff(b"\x89PNG"), None, "a signature cut short");
        assert_eq!(ImageKind::sniff(b""), None);
    }

    #[test]
    fn describes_the_first_bytes_readably() {
        assert_eq!(describe_start(b"<svg onload=x>"), "\"<svg onl\"");
        assert_eq!(describe_start(&[0x00, 0x01, 0xAB]), "00 01 AB");
    }

    #[test]
    fn pixel_limits_refuse_bombs_and_long_sides() {
        assert!(check_pixels(4000, 4000).is_ok());
        assert!(check_pixels(MAX_SIDE + 1, 10).is_err());
        assert!(check_pixels(5000, 5000).is_err(), "25 megapixels");
        assert_eq!(
            check_pixels(100_000, 100_000),
            Err(Refused::TooManyPixels {
                width: 100_000,
                height: 100_000
            })
        );
    }

    #[test]
    fn processing_keeps_the_format_and_makes_a_thumbnail_that_fits() {
        let processed = process(ImageKind::Png, &png(600, 300)).expect("a valid PNG");
        assert_eq!((processed.full.width, processed.full.height), (600, 300));
        assert_eq!(
            (processed.thumbnail.width, processed.thumbnail.height),
            (256, 128)
        );
        assert_eq!(
            ImageKind::sniff(&processed.thumbnail.bytes),
            Some(ImageKind::Png)
        );
    }

    #[test]
    fn a_truncated_image_is_unreadable_not_a_panic() {
        let bytes = png(64, 64);
        let cut = &bytes[..bytes.len() / 2];
        assert_eq!(declared_size(ImageKind::Png, cut), Ok((64, 64)));
        assert!(matches!(
            process(ImageKind::Png, cut),
            Err(Refused::Unreadable { kind: "PNG", .. })
        ));
    }
}
