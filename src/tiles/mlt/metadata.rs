//! The MLT layer header and id column: a layer's name, extent, ids and
//! property columns in, the bytes that open an MLT layer out.
//!
//! The header is the layer tag (1: a layer with its own metadata), the
//! name, the extent, the column count and each column's type code (and
//! name, for properties): the id column first (code 0 for 32-bit ids, 2
//! for 64-bit), then the geometry (code 4), then the properties.

use super::properties::PropertyColumn;
use super::streams::{Kind, delta_stream, string, sub, uint_stream, varint};

/// Layer tag of a feature table with embedded metadata.
const LAYER_TAG: u64 = 1;
/// Type code of a non-nullable 32-bit id column.
const ID_32: u64 = 0;
/// Type code of a non-nullable 64-bit id column.
const ID_64: u64 = 2;
/// Type code of the geometry column.
const GEOMETRY: u64 = 4;

fn long_ids(ids: &[u64]) -> bool {
    ids.iter().any(|&id| id > u64::from(u32::MAX))
}

/// Appends the layer tag and the feature table's metadata.
pub(crate) fn write_header(
    out: &mut Vec<u8>,
    name: &str,
    extent: u32,
    ids: &[u64],
    columns: &[PropertyColumn<'_>],
) {
    varint(out, LAYER_TAG);
    string(out, name);
    varint(out, u64::from(extent));
    varint(out, 2 + columns.len() as u64);
    varint(out, if long_ids(ids) { ID_64 } else { ID_32 });
    varint(out, GEOMETRY);
    for c in columns {
        varint(out, c.type_code());
        string(out, c.name);
    }
}

/// Appends the id column: 32-bit ids as deltas (features come in id
/// order, so most deltas take a byte), 64-bit ids as plain varints.
pub(crate) fn write_ids(out: &mut Vec<u8>, ids: &[u64]) {
    if long_ids(ids) {
        uint_stream(out, Kind::Data, sub::NONE, ids);
    } else {
        let ids: Vec<u32> = ids.iter().map(|&id| id as u32).collect();
        delta_stream(out, Kind::Data, sub::NONE, &ids);
    }
}
