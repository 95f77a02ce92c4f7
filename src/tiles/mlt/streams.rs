//! MLT streams: typed value runs in, stream bytes (a stream header and its
//! payload) out.
//!
//! A stream header is a byte of physical and logical stream type, a byte of
//! encodings (two logical techniques and one physical), then the number of
//! values and the payload's byte length as varints. The writers here use
//! only the encodings every MLT decoder must read: varints, zigzag, delta,
//! componentwise delta for vertices, little-endian doubles and the ORC byte
//! run-length encoding for bit-packed booleans.

/// Physical stream types (high nibble of the first header byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Which features have a value (bit-packed booleans).
    Present = 0,
    /// Values.
    Data = 1,
    /// Indices into a dictionary.
    Offset = 2,
    /// Lengths (of strings, geometries, parts, rings).
    Length = 3,
}

/// Logical subtypes (low nibble), named as the spec names them.
pub(crate) mod sub {
    /// Data: plain values.
    pub const NONE: u8 = 0;
    /// Data: a string dictionary of one column.
    pub const SINGLE: u8 = 1;
    /// Data: vertices.
    pub const VERTEX: u8 = 3;
    /// Offset: into a string dictionary.
    pub const STRING: u8 = 2;
    /// Length: of plain strings.
    pub const VAR_BINARY: u8 = 0;
    /// Length: polygons per multipolygon.
    pub const GEOMETRIES: u8 = 1;
    /// Length: rings per polygon.
    pub const PARTS: u8 = 2;
    /// Length: vertices per ring.
    pub const RINGS: u8 = 3;
    /// Length: of dictionary strings.
    pub const DICTIONARY: u8 = 6;
}

/// Logical technique: delta.
const DELTA: u8 = 1;
/// Logical technique: componentwise delta (vertices).
const COMPONENTWISE_DELTA: u8 = 2;
/// Physical technique: varint.
const VARINT: u8 = 2;

/// The encodings byte: logical technique 1 (top 3 bits), logical technique
/// 2 (next 3, always none here), physical technique (low 2 bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// Raw bytes (booleans, doubles, string bytes).
    Raw = 0,
    /// Varints.
    Varint = VARINT as isize,
    /// Zigzag deltas of consecutive values, as varints.
    DeltaVarint = ((DELTA << 5) | VARINT) as isize,
    /// Zigzag deltas of x and y separately, as varints (vertices).
    ComponentwiseDeltaVarint = ((COMPONENTWISE_DELTA << 5) | VARINT) as isize,
}

/// Appends `v` as a LEB128 varint.
pub(crate) fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Zigzag: small magnitudes of either sign to small unsigned values.
pub(crate) fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// Appends a length-prefixed UTF-8 string (metadata names).
pub(crate) fn string(out: &mut Vec<u8>, s: &str) {
    varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// Appends one stream: its header, then `payload` of `num_values` values.
pub(crate) fn stream(
    out: &mut Vec<u8>,
    kind: Kind,
    subtype: u8,
    encoding: Encoding,
    num_values: usize,
    payload: &[u8],
) {
    out.push(((kind as u8) << 4) | subtype);
    out.push(encoding as u8);
    varint(out, num_values as u64);
    varint(out, payload.len() as u64);
    out.extend_from_slice(payload);
}

/// Appends an unsigned integer stream as varints.
pub(crate) fn uint_stream(out: &mut Vec<u8>, kind: Kind, subtype: u8, values: &[u64]) {
    let mut payload = Vec::with_capacity(values.len() * 2);
    for &v in values {
        varint(&mut payload, v);
    }
    stream(out, kind, subtype, Encoding::Varint, values.len(), &payload);
}

/// Appends a stream of 32-bit unsigned integers as zigzag deltas (sorted
/// ids are mostly one byte each). Deltas wrap at 32 bits, as the decoder
/// adds them.
pub(crate) fn delta_stream(out: &mut Vec<u8>, kind: Kind, subtype: u8, values: &[u32]) {
    let mut payload = Vec::with_capacity(values.len() * 2);
    let mut prev = 0u32;
    for &v in values {
        varint(&mut payload, zigzag(i64::from(v.wrapping_sub(prev) as i32)));
        prev = v;
    }
    stream(
        out,
        kind,
        subtype,
        Encoding::DeltaVarint,
        values.len(),
        &payload,
    );
}

/// Appends a stream of booleans: bit-packed, least significant bit first,
/// then byte run-length encoded.
pub(crate) fn bool_stream(out: &mut Vec<u8>, kind: Kind, bits: &[bool]) {
    let mut packed = vec![0u8; bits.len().div_ceil(8)];
    for (i, _) in bits.iter().enumerate().filter(|(_, b)| **b) {
        packed[i / 8] |= 1 << (i % 8);
    }
    let payload = byte_rle(&packed);
    stream(out, kind, sub::NONE, Encoding::Raw, bits.len(), &payload);
}

/// ORC byte run-length encoding: a control byte 0..=127 is a run of
/// control + 3 copies of the next byte; 128..=255 is 256 − control literal
/// bytes that follow.
pub(crate) fn byte_rle(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 128 + 2);
    let mut literals: Vec<u8> = Vec::new();
    let flush = |out: &mut Vec<u8>, literals: &mut Vec<u8>| {
        for chunk in literals.chunks(128) {
            out.push((256 - chunk.len()) as u8);
            out.extend_from_slice(chunk);
        }
        literals.clear();
    };
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let run = bytes[i..].iter().take(130).take_while(|&&x| x == b).count();
        if run >= 3 {
            flush(&mut out, &mut literals);
            out.push((run - 3) as u8);
            out.push(b);
            i += run;
        } else {
            literals.push(b);
            i += 1;
        }
    }
    flush(&mut out, &mut literals);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte RLE decoding the JS decoder does (`decodeByteRle`).
    fn unrle(bytes: &[u8], n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while out.len() < n && i < bytes.len() {
            let h = bytes[i];
            i += 1;
            if h <= 0x7f {
                out.extend(std::iter::repeat_n(bytes[i], usize::from(h) + 3));
                i += 1;
            } else {
                let k = 256 - usize::from(h);
                out.extend_from_slice(&bytes[i..i + k]);
                i += k;
            }
        }
        out.truncate(n);
        out
    }

    #[test]
    fn byte_rle_round_trips_runs_and_literals() {
        let mut cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![7],
            vec![1, 2],
            vec![5, 5, 5],
            vec![0; 131],
            vec![0; 300],
        ];
        cases.push((0..=255u8).collect());
        cases.push(
            (0..600)
                .map(|i| if i % 7 < 4 { 9 } else { i as u8 })
                .collect(),
        );
        for c in cases {
            let enc = byte_rle(&c);
            assert_eq!(unrle(&enc, c.len()), c, "{c:?}");
        }
        assert_eq!(
            byte_rle(&[0; 130]),
            vec![127, 0],
            "longest run in two bytes"
        );
    }

    #[test]
    fn stream_header_layout() {
        let mut out = Vec::new();
        uint_stream(&mut out, Kind::Length, sub::RINGS, &[4, 300]);
        assert_eq!(out, [0x33, 0x02, 2, 3, 4, 0xAC, 0x02]);
        let mut out = Vec::new();
        delta_stream(&mut out, Kind::Data, sub::NONE, &[5, 6, 4]);
        assert_eq!(out, [0x10, 0x22, 3, 3, 10, 2, 3]);
        let mut out = Vec::new();
        bool_stream(&mut out, Kind::Present, &[true, false, true]);
        assert_eq!(out, [0x00, 0x00, 3, 2, 0xFF, 0b101]);
    }
}
