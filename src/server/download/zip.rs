//! A zip archive writer for the CSV download: files in, the bytes of one
//! archive out, deflated, with fixed timestamps so the same files give the
//! same bytes.

use std::io::Write;

/// A zip archive (PKWARE APPNOTE 6.3: deflated entries, UTF-8 names, no
/// zip64, so under 4 GiB) of `files`, every entry dated 1980-01-01 so the
/// same files give the same bytes. Written here on the crates already in
/// the tree (flate2, crc32fast) rather than adding the `zip` crate, whose
/// dependencies would change the features, and so the builds, of shared ones.
pub(super) fn zip(files: &[(&str, &[u8])]) -> std::io::Result<Vec<u8>> {
    use flate2::{Compression, write::DeflateEncoder};
    let too_big = || std::io::Error::other("a download over 4 GiB needs zip64");
    let u32_of = |n: usize| u32::try_from(n).map_err(|_| too_big());
    const DOS_DATE: u16 = (1 << 5) | 1; // 1980-01-01; time 00:00
    let mut out: Vec<u8> = Vec::new();
    let mut central: Vec<u8> = Vec::new();
    for (name, data) in files {
        let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
        enc.write_all(data)?;
        let packed = enc.finish()?;
        let crc = crc32fast::hash(data);
        let offset = u32_of(out.len())?;
        // The fields local and central headers share: version needed 2.0,
        // flag 11 (UTF-8 name), deflate, time, date, CRC-32, sizes, name length.
        let mut common = Vec::with_capacity(26);
        for v in [20u16, 1 << 11, 8, 0, DOS_DATE] {
            common.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, u32_of(packed.len())?, u32_of(data.len())?] {
            common.extend_from_slice(&v.to_le_bytes());
        }
        common.extend_from_slice(
            &u16::try_from(name.len())
                .map_err(|_| too_big())?
                .to_le_bytes(),
        );
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&common);
        out.extend_from_slice(&0u16.to_le_bytes()); // extra field length
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&packed);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // made by: MS-DOS, 2.0
        central.extend_from_slice(&common);
        // Extra and comment lengths, disk, internal and external attributes.
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let n = u16::try_from(files.len()).map_err(|_| too_big())?;
    let (cd_size, cd_offset) = (u32_of(central.len())?, u32_of(out.len())?);
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // this disk, the central directory's disk
    for v in [n, n] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment length
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_sit_where_the_central_directory_says() {
        let z = zip(&[
            ("a.txt", b"hello hello hello".as_slice()),
            ("b.csv", b"x,y\n1,2\n".as_slice()),
        ])
        .unwrap();
        // End of central directory: two entries, the directory just before it.
        let eocd = z.len() - 22;
        assert_eq!(&z[eocd..eocd + 4], &0x0605_4b50u32.to_le_bytes());
        assert_eq!(u16::from_le_bytes([z[eocd + 10], z[eocd + 11]]), 2);
        let cd = u32::from_le_bytes(z[eocd + 16..eocd + 20].try_into().unwrap()) as usize;
        assert_eq!(&z[cd..cd + 4], &0x0201_4b50u32.to_le_bytes());
        assert_eq!(&z[0..4], &0x0403_4b50u32.to_le_bytes());
        // The first entry's CRC is the stored data's.
        assert_eq!(
            u32::from_le_bytes(z[14..18].try_into().unwrap()),
            crc32fast::hash(b"hello hello hello".as_slice())
        );
        assert_eq!(
            z,
            zip(&[
                ("a.txt", b"hello hello hello".as_slice()),
                ("b.csv", b"x,y\n1,2\n".as_slice())
            ])
            .unwrap()
        );
    }
}
