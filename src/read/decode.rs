//! Encoding detection (being built).

use encoding_rs::Encoding;

/// Detect the encoding of a sample.
pub fn detect_encoding(_sample: &[u8]) -> &'static Encoding {
    encoding_rs::UTF_8
}

/// Look up an encoding by a user-given name.
pub fn encoding_by_name(name: &str) -> Option<&'static Encoding> {
    Encoding::for_label(name.as_bytes())
}
