//! The on-disk dataset artifact: a fixed header then a postcard payload.
//!
//! Layout: `DXMAPDS\0` magic, format version (u32 LE), payload length (u64 LE),
//! CRC-32 of the payload (u32 LE), payload. The checksum lets a server refuse a
//! truncated or corrupt file on reload and keep serving the old one.

use std::io::Write;
use std::path::Path;

use super::{Dataset, DatasetError};
use crate::atomic::write_atomic;

const MAGIC: &[u8; 8] = b"DXMAPDS\0";
/// 2: `Source::measure` and `Layer::vintage`.
const VERSION: u32 = 2;
const HEADER: usize = 8 + 4 + 8 + 4;

impl Dataset {
    /// Serialises the dataset to bytes (header plus payload).
    pub fn to_bytes(&self) -> Result<Vec<u8>, DatasetError> {
        self.validate()?;
        let payload = postcard::to_stdvec(self)
            .map_err(|e| DatasetError::Invalid(format!("cannot serialise: {e}")))?;
        let mut out = Vec::with_capacity(HEADER + payload.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        out.extend_from_slice(&payload);
        Ok(out)
    }

    /// Parses bytes written by [`Dataset::to_bytes`]; `path` only names the source in errors.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Dataset, DatasetError> {
        let corrupt = |message: String| DatasetError::Corrupt {
            path: path.to_path_buf(),
            message,
        };
        if bytes.len() < HEADER || &bytes[..8] != MAGIC {
            return Err(corrupt("not a dxmap dataset (bad magic)".into()));
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        if version != VERSION {
            return Err(corrupt(format!(
                "dataset format version {version}, this dxmap reads version {VERSION}: rebuild it"
            )));
        }
        let len = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
        let crc = u32::from_le_bytes(bytes[20..24].try_into().expect("4 bytes"));
        let payload = &bytes[HEADER..];
        if payload.len() as u64 != len {
            return Err(corrupt(format!(
                "truncated: header says {len} payload bytes, file has {}",
                payload.len()
            )));
        }
        if crc32fast::hash(payload) != crc {
            return Err(corrupt("checksum mismatch: the file is corrupt".into()));
        }
        let ds: Dataset =
            postcard::from_bytes(payload).map_err(|e| corrupt(format!("cannot decode: {e}")))?;
        ds.validate().map_err(|e| corrupt(e.to_string()))?;
        Ok(ds)
    }

    /// Writes the artifact atomically: a temporary file beside `path`, then a rename.
    pub fn write(&self, path: &Path) -> Result<(), DatasetError> {
        let bytes = self.to_bytes()?;
        write_atomic(path, |w| w.write_all(&bytes)).map_err(|source| DatasetError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Reads and verifies an artifact.
    pub fn read(path: &Path) -> Result<Dataset, DatasetError> {
        let bytes = std::fs::read(path).map_err(|source| DatasetError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Dataset::from_bytes(&bytes, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Area, Column, ColumnId, LsoaCode, Source, Values};
    use geo_types::{MultiPolygon, polygon};

    fn tiny() -> Dataset {
        let sq = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)];
        Dataset {
            title: "t".into(),
            geography: "LSOA 2011".into(),
            areas: vec![Area {
                code: LsoaCode::new("E01000001"),
                name: "City of London 001A".into(),
                borough_code: "E09000001".into(),
                borough_name: "City of London".into(),
                ward_code: None,
                ward_name: None,
                geometry: MultiPolygon(vec![sq]),
            }],
            columns: vec![Column {
                id: ColumnId("x".into()),
                label: "X".into(),
                values: Values::Numeric(vec![Some(1.5)]),
                source: Source::default(),
            }],
            layers: vec![],
            attribution: vec!["a".into()],
        }
    }

    #[test]
    fn round_trips_and_rejects_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.dxds");
        let ds = tiny();
        ds.write(&p).unwrap();
        assert_eq!(Dataset::read(&p).unwrap(), ds);

        let mut bytes = std::fs::read(&p).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        let err = Dataset::from_bytes(&bytes, &p).unwrap_err().to_string();
        assert!(err.contains("checksum"), "{err}");
        let err = Dataset::from_bytes(&bytes[..30], &p)
            .unwrap_err()
            .to_string();
        assert!(err.contains("truncated"), "{err}");
        let err = Dataset::from_bytes(b"hello", &p).unwrap_err().to_string();
        assert!(err.contains("not a dxmap dataset"), "{err}");
    }

    #[test]
    fn refuses_non_finite_values() {
        let mut ds = tiny();
        ds.columns[0].values = Values::Numeric(vec![Some(f64::NAN)]);
        assert!(ds.to_bytes().is_err());
    }
}
