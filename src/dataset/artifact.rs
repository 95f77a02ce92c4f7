//! The on-disk dataset artifact: a fixed header then a postcard payload.
//!
//! Layout: `DXMAPDS\0` magic, format version (u32 LE), payload length (u64 LE),
//! CRC-32 of the payload (u32 LE), payload. The checksum lets a server refuse a
//! truncated or corrupt file on reload and keep serving the old one. Reading
//! checks the header, version (this one, or versions 2 and 3 through [`v2`]
//! and [`v3`]) and
//! declared length (at most
//! [`MAX_PAYLOAD_BYTES`], and equal to what the file holds) before the
//! payload is allocated.

use std::io::{Read, Write};
use std::path::Path;

use super::{Dataset, DatasetError};
use crate::atomic::write_atomic;
use crate::file_checks::open_input;

mod v2;
mod v3;

const MAGIC: &[u8; 8] = b"DXMAPDS\0";
/// 2: `Source::measure` and `Layer::vintage`. 3: `Source::unit`. 4: an
/// area's `borough` and `ward` as optional units.
const VERSION: u32 = 4;
/// The oldest version still read.
const OLDEST: u32 = 2;
const HEADER: usize = 8 + 4 + 8 + 4;

/// Largest payload read from an artifact: 1 GiB, the cap on each input
/// file of a build (the England and Wales artifact is well under 100 MB). A
/// header declaring more is refused before anything is allocated.
pub const MAX_PAYLOAD_BYTES: u64 = 1 << 30;

/// The fixed header, checked before the payload is read.
struct Header {
    version: u32,
    len: u64,
    crc: u32,
}

impl Header {
    /// Checks magic, version and declared length (against the cap and the
    /// payload bytes actually present, `payload_len`).
    fn parse(head: &[u8], payload_len: u64, path: &Path) -> Result<Header, DatasetError> {
        let corrupt = |message: String| DatasetError::Corrupt {
            path: path.to_path_buf(),
            message,
        };
        if head.len() < HEADER || &head[..8] != MAGIC {
            return Err(corrupt("not a dxmap dataset (bad magic)".into()));
        }
        let version = u32::from_le_bytes(head[8..12].try_into().expect("4 bytes"));
        if !(OLDEST..=VERSION).contains(&version) {
            return Err(corrupt(format!(
                "dataset format version {version}, this dxmap reads versions {OLDEST} to {VERSION}: rebuild it"
            )));
        }
        let len = u64::from_le_bytes(head[12..20].try_into().expect("8 bytes"));
        let crc = u32::from_le_bytes(head[20..24].try_into().expect("4 bytes"));
        if len > MAX_PAYLOAD_BYTES {
            return Err(corrupt(format!(
                "header declares a payload of {len} bytes, over the limit of {MAX_PAYLOAD_BYTES}; refusing to read it"
            )));
        }
        if payload_len < len {
            return Err(corrupt(format!(
                "truncated: header says {len} payload bytes, file has {payload_len}"
            )));
        }
        if payload_len > len {
            return Err(corrupt(format!(
                "header says {len} payload bytes, file has {payload_len}: bytes after the payload"
            )));
        }
        Ok(Header { version, len, crc })
    }
}

impl Dataset {
    /// Serialises the dataset to bytes (header plus payload).
    pub fn to_bytes(&self) -> Result<Vec<u8>, DatasetError> {
        self.validate()?;
        let payload = postcard::to_stdvec(self)
            .map_err(|e| DatasetError::Invalid(format!("cannot serialise: {e}")))?;
        if payload.len() as u64 > MAX_PAYLOAD_BYTES {
            // It could not be read back.
            return Err(DatasetError::Invalid(format!(
                "{} bytes serialised, over the artifact limit of {MAX_PAYLOAD_BYTES}",
                payload.len()
            )));
        }
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
        let payload = bytes.get(HEADER..).unwrap_or_default();
        let header = Header::parse(bytes, payload.len() as u64, path)?;
        Dataset::decode(&header, payload, path)
    }

    /// Verifies the checksum and decodes the payload.
    fn decode(header: &Header, payload: &[u8], path: &Path) -> Result<Dataset, DatasetError> {
        let corrupt = |message: String| DatasetError::Corrupt {
            path: path.to_path_buf(),
            message,
        };
        if crc32fast::hash(payload) != header.crc {
            return Err(corrupt("checksum mismatch: the file is corrupt".into()));
        }
        let ds: Dataset = match header.version {
            2 => postcard::from_bytes::<v2::Dataset>(payload)
                .map(|d| Dataset::from(v3::Dataset::from(d))),
            3 => postcard::from_bytes::<v3::Dataset>(payload).map(Dataset::from),
            _ => postcard::from_bytes(payload),
        }
        .map_err(|e| corrupt(format!("cannot decode: {e}")))?;
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

    /// Reads and verifies an artifact. Only a regular file is opened (a FIFO
    /// or device is refused up front), and the header is checked against
    /// the file's size and [`MAX_PAYLOAD_BYTES`] before the payload is
    /// allocated, so a wrong or huge file costs a few bytes of reading.
    pub fn read(path: &Path) -> Result<Dataset, DatasetError> {
        let io = |source| DatasetError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = open_input(path).map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        let mut head = Vec::with_capacity(HEADER);
        (&mut file)
            .take(HEADER as u64)
            .read_to_end(&mut head)
            .map_err(io)?;
        let header = Header::parse(&head, size.saturating_sub(HEADER as u64), path)?;
        let len = usize::try_from(header.len).map_err(|_| {
            io(std::io::Error::other(
                "the payload does not fit in this machine's memory",
            ))
        })?;
        let mut payload = Vec::new();
        payload
            .try_reserve_exact(len)
            .map_err(|e| io(std::io::Error::other(e)))?;
        // The file may change after its size was read: read what the header
        // declares, no more, and let the checksum judge it.
        (&mut file)
            .take(header.len)
            .read_to_end(&mut payload)
            .map_err(io)?;
        if payload.len() != len {
            return Err(DatasetError::Corrupt {
                path: path.to_path_buf(),
                message: format!(
                    "truncated: header says {len} payload bytes, file has {}",
                    payload.len()
                ),
            });
        }
        Dataset::decode(&header, &payload, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{AdminUnit, Area, Column, ColumnId, LsoaCode, Source, Unit, Values};
    use geo_types::{MultiPolygon, polygon};

    fn tiny() -> Dataset {
        let sq = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)];
        Dataset {
            title: "t".into(),
            geography: "LSOA 2011".into(),
            areas: vec![Area {
                code: LsoaCode::new("E01000001"),
                name: "City of London 001A".into(),
                borough: Some(AdminUnit::new("E09000001", "City of London")),
                ward: None,
                geometry: MultiPolygon(vec![sq]),
            }],
            columns: vec![Column {
                id: ColumnId("x".into()),
                label: "X".into(),
                values: Values::Numeric(vec![Some(1.5)]),
                source: Source {
                    unit: Some(Unit::Percent),
                    ..Source::default()
                },
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
    fn the_header_is_checked_before_the_payload_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.dxds");
        let good = tiny().to_bytes().unwrap();
        // A header declaring 3 GB over a sparse file of that size: refused
        // by the cap, without reading the payload.
        let mut head = good[..HEADER].to_vec();
        head[12..20].copy_from_slice(&3_000_000_000u64.to_le_bytes());
        std::fs::write(&p, &head).unwrap();
        let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
        f.set_len(HEADER as u64 + 3_000_000_000).unwrap();
        let err = Dataset::read(&p).unwrap_err().to_string();
        assert!(err.contains("over the limit of 1073741824"), "{err}");
        // Within the cap but longer than the file: truncated, still unread.
        head[12..20].copy_from_slice(&(MAX_PAYLOAD_BYTES).to_le_bytes());
        std::fs::write(&p, &head).unwrap();
        let err = Dataset::read(&p).unwrap_err().to_string();
        assert!(
            err.contains("truncated: header says 1073741824 payload bytes, file has 0"),
            "{err}"
        );
        // Bytes after the payload are not ignored.
        let mut long = good.clone();
        long.push(0);
        std::fs::write(&p, &long).unwrap();
        let err = Dataset::read(&p).unwrap_err().to_string();
        assert!(err.contains("bytes after the payload"), "{err}");
        std::fs::write(&p, &good).unwrap();
        assert_eq!(Dataset::read(&p).unwrap(), tiny());
    }

    #[test]
    fn a_version_2_artifact_is_read_with_no_declared_units() {
        // As version 2 wrote it: no `Source::unit` in the payload.
        let payload = postcard::to_stdvec(&v2::from_current(&tiny())).unwrap();
        let mut bytes = tiny().to_bytes().unwrap()[..HEADER].to_vec();
        bytes[8..12].copy_from_slice(&2u32.to_le_bytes());
        bytes[12..20].copy_from_slice(&(payload.len() as u64).to_le_bytes());
        bytes[20..24].copy_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        bytes.extend_from_slice(&payload);
        let old = Dataset::from_bytes(&bytes, Path::new("old.dxds")).unwrap();
        let mut want = tiny();
        want.columns[0].source.unit = None;
        assert_eq!(old, want);
        // Read as today's layout, the same bytes would not decode.
        bytes[8..12].copy_from_slice(&VERSION.to_le_bytes());
        assert!(Dataset::from_bytes(&bytes, Path::new("old.dxds")).is_err());
        // Older still: refused, with the way out.
        bytes[8..12].copy_from_slice(&1u32.to_le_bytes());
        let err = Dataset::from_bytes(&bytes, Path::new("old.dxds"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("old.dxds")
                && err.contains("format version 1, this dxmap reads versions 2 to 4: rebuild it"),
            "{err}"
        );
    }

    #[test]
    fn a_version_3_artifact_is_read_with_its_boroughs_and_wards() {
        // As version 3 wrote it: borough and ward as four plain fields.
        let mut d = tiny();
        d.areas[0].ward = Some(AdminUnit::new("E05009288", "Aldersgate"));
        let mut no_borough = d.areas[0].clone();
        no_borough.code = LsoaCode::new("E01000002");
        no_borough.borough = None;
        no_borough.ward = None;
        d.areas.push(no_borough);
        if let Values::Numeric(v) = &mut d.columns[0].values {
            v.push(Some(2.5));
        }
        let payload = postcard::to_stdvec(&v3::from_current(&d)).unwrap();
        let mut bytes = d.to_bytes().unwrap()[..HEADER].to_vec();
        bytes[8..12].copy_from_slice(&3u32.to_le_bytes());
        bytes[12..20].copy_from_slice(&(payload.len() as u64).to_le_bytes());
        bytes[20..24].copy_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        bytes.extend_from_slice(&payload);
        let old = Dataset::from_bytes(&bytes, Path::new("old.dxds")).unwrap();
        assert_eq!(old, d);
        assert_eq!(old.areas[1].borough, None, "an empty borough code is none");
        // Read as today's layout, the same bytes would not decode.
        bytes[8..12].copy_from_slice(&VERSION.to_le_bytes());
        assert!(Dataset::from_bytes(&bytes, Path::new("old.dxds")).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_refused_without_reading_it() {
        let err = Dataset::read(Path::new("/dev/zero"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("/dev/zero: is a character device"), "{err}");
    }

    #[test]
    fn refuses_non_finite_values() {
        let mut ds = tiny();
        ds.columns[0].values = Values::Numeric(vec![Some(f64::NAN)]);
        assert!(ds.to_bytes().is_err());
    }
}
