//! QR codes of permit tokens, as PNG and SVG.

use std::io::Cursor;

use image::{ImageFormat, Luma};
use qrcode::bits::Bits;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode, Version};

use crate::domain::violation::{Violation, ViolationCode};

/// Error correction used for every permit code: M recovers about 15% of damaged modules.
pub const EC_LEVEL: EcLevel = EcLevel::M;
/// Pixels per module for PNG, when not asked otherwise.
pub const DEFAULT_SCALE: u32 = 8;
/// Smallest and largest PNG scale accepted.
pub const SCALE_RANGE: std::ops::RangeInclusive<u32> = 1..=32;

/// Reads the PNG scale a request asks for (field `scale`); the default when absent.
pub fn parse_scale(raw: Option<&str>) -> Result<u32, Vec<Violation>> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_SCALE);
    };
    raw.trim()
        .parse::<u32>()
        .ok()
        .filter(|s| SCALE_RANGE.contains(s))
        .ok_or_else(|| {
            vec![Violation::new(
                "scale",
                ViolationCode::InvalidValue,
                format!(
                    "scale must be a whole number from {} to {}",
                    SCALE_RANGE.start(),
                    SCALE_RANGE.end()
                ),
            )]
        })
}

/// Why a code could not be made.
#[derive(Debug, thiserror::Error)]
pub enum QrError {
    /// The data does not fit any QR version at level M.
    #[error("data too long for a QR code: {0}")]
    TooLong(String),
    /// The PNG encoder failed.
    #[error("PNG encoding failed: {0}")]
    Png(String),
}

/// Encodes `data` in byte mode at the smallest version that holds it.
///
/// The crate's own optimiser mixes segment modes, which for base64url text costs more bits than
/// plain byte mode and can push a 330-byte token from version 13 to 14.
pub fn encode(data: &[u8]) -> Result<QrCode, QrError> {
    for v in 1..=40 {
        let mut bits = Bits::new(Version::Normal(v));
        if bits.push_byte_data(data).is_ok() && bits.push_terminator(EC_LEVEL).is_ok() {
            return QrCode::with_bits(bits, EC_LEVEL).map_err(|e| QrError::TooLong(e.to_string()));
        }
    }
    Err(QrError::TooLong(format!("{} bytes", data.len())))
}

/// The QR version number of a code.
pub fn version_number(code: &QrCode) -> i16 {
    match code.version() {
        Version::Normal(v) | Version::Micro(v) => v,
    }
}

/// A PNG of `data`, `scale` pixels per module, with the standard four-module quiet zone.
pub fn png(data: &[u8], scale: u32) -> Result<Vec<u8>, QrError> {
    let code = encode(data)?;
    let image = code
        .render::<Luma<u8>>()
        .quiet_zone(true)
        .module_dimensions(scale, scale)
        .build();
    let mut out = Cursor::new(Vec::new());
    image
        .write_to(&mut out, ImageFormat::Png)
        .map_err(|e| QrError::Png(e.to_string()))?;
    Ok(out.into_inner())
}

/// An SVG of `data`, with the quiet zone; it scales to any size.
pub fn svg(data: &[u8]) -> Result<String, QrError> {
    let code = encode(data)?;
    Ok(code
        .render::<svg::Color<'_>>()
        .quiet_zone(true)
        .min_dimensions(256, 256)
        .build())
}

/// The QR of `data` as an `<svg>` element to put inside a page: `id`, and `label` for readers
/// that cannot see it. `id` and `label` are escaped; the rest is the encoder's own markup.
pub fn inline_svg(data: &[u8], id: &str, label: &str) -> Result<String, QrError> {
    let document = svg(data)?;
    let element = document
        .find("<svg")
        .map_or(document.as_str(), |at| &document[at..]);
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    Ok(element.replacen(
        "<svg",
        &format!(
            "<svg id=\"{}\" role=\"img\" aria-label=\"{}\"",
            escape(id),
            escape(label)
        ),
        1,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_mode_fits_331_bytes_in_version_13() {
        let data = vec![b'a'; 331];
        assert_eq!(version_number(&encode(&data).expect("fits")), 13);
        let data = vec![b'a'; 332];
        assert_eq!(version_number(&encode(&data).expect("fits")), 14);
    }

    #[test]
    fn png_decodes_back_to_the_data() {
        let data = b"eyJhbGciOiJFZERTQSJ9.payload.signature";
        let bytes = png(data, 4).expect("png");
        let image = image::load_from_memory(&bytes).expect("decodes").to_luma8();
        let mut prepared = rqrr::PreparedImage::prepare(image);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, content) = grids[0].decode().expect("readable");
        assert_eq!(content.as_bytes(), data);
    }
}
