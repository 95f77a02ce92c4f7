//! Coordinate reference systems of input files: names in (a user's "EPSG:27700",
//! a GeoJSON `crs` member, a Shapefile `.prj` WKT), a [`Crs`] out; and
//! reprojection of coordinates from a [`Crs`] to WGS84 longitude/latitude.
//!
//! British National Grid is reprojected in pure Rust: inverse Transverse
//! Mercator on the Airy 1830 ellipsoid, then the OSGB36 → WGS84 7-parameter
//! Helmert transform (accurate to about 5 m, against OSTN15's 0.1 m; plenty
//! for LSOA maps). Any other EPSG code needs the `proj` cargo feature, which
//! goes through libproj; its `cfg` stays at the bottom of this file.

use crate::ingest::boundaries::Crs;
use geo_types::Coord;

impl Crs {
    /// Parses a user's CRS: "EPSG:27700", "27700", "BNG", "OSGB36",
    /// "WGS84", "EPSG:4326", "CRS84", an OGC URN, or any `"EPSG:<code>"`.
    pub fn parse(text: &str) -> Option<Crs> {
        let t = text.trim();
        let upper = t.to_ascii_uppercase();
        let named = match upper.as_str() {
            "BNG"
            | "OSGB"
            | "OSGB36"
            | "BRITISH NATIONAL GRID"
            | "OSGB 1936 / BRITISH NATIONAL GRID" => Some(Crs::BritishNationalGrid),
            "WGS84"
            | "WGS 84"
            | "CRS84"
            | "OGC:CRS84"
            | "URN:OGC:DEF:CRS:OGC:1.3:CRS84"
            | "URN:OGC:DEF:CRS:OGC::CRS84"
            | "HTTP://WWW.OPENGIS.NET/DEF/CRS/OGC/1.3/CRS84" => Some(Crs::Wgs84),
            _ => None,
        };
        if named.is_some() {
            return named;
        }
        // "EPSG:27700", "EPSG::27700", "urn:ogc:def:crs:EPSG::27700",
        // "urn:ogc:def:crs:EPSG:6.6:27700", ".../def/crs/EPSG/0/27700", "27700".
        let code = if let Some(pos) = upper.rfind("EPSG") {
            let rest = &upper[pos + 4..];
            let digits = rest.rsplit([':', '/']).next().unwrap_or("");
            if !rest.starts_with([':', '/']) {
                return None;
            }
            digits
        } else {
            upper.as_str()
        };
        let code: u32 = code.trim().parse().ok()?;
        Some(Crs::from_epsg(code))
    }

    /// The [`Crs`] of an EPSG code, using the named variants where they exist.
    pub fn from_epsg(code: u32) -> Crs {
        match code {
            4326 => Crs::Wgs84,
            27700 => Crs::BritishNationalGrid,
            other => Crs::Epsg(other),
        }
    }

    /// The EPSG code.
    pub fn epsg(self) -> u32 {
        match self {
            Crs::Wgs84 => 4326,
            Crs::BritishNationalGrid => 27700,
            Crs::Epsg(code) => code,
        }
    }

    /// Recognises the CRS of an ESRI `.prj` (WKT1): British National Grid /
    /// OSGB 1936, GCS_WGS_1984 / WGS 84, or an `AUTHORITY["EPSG","n"]` of the
    /// outermost CRS.
    pub fn from_wkt(wkt: &str) -> Option<Crs> {
        let w = wkt.trim();
        let upper = w.to_ascii_uppercase();
        if upper.starts_with("PROJCS") {
            if upper.contains("BRITISH_NATIONAL_GRID")
                || upper.contains("BRITISH NATIONAL GRID")
                || upper.contains("OSGB_1936")
                || upper.contains("OSGB 1936")
                || upper.contains("OSGB36")
            {
                return Some(Crs::BritishNationalGrid);
            }
        } else if upper.starts_with("GEOGCS")
            && (upper.contains("WGS_1984") || upper.contains("WGS 84") || upper.contains("WGS84"))
        {
            return Some(Crs::Wgs84);
        }
        // The outermost CRS's AUTHORITY is the last one in the text.
        let pos = upper.rfind("AUTHORITY[\"EPSG\"")?;
        let rest = &upper[pos + "AUTHORITY[\"EPSG\"".len()..];
        let digits: String = rest
            .trim_start_matches([',', ' ', '"'])
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok().map(Crs::from_epsg)
    }
}

impl std::fmt::Display for Crs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Crs::Wgs84 => f.write_str("EPSG:4326 (WGS84)"),
            Crs::BritishNationalGrid => f.write_str("EPSG:27700 (British National Grid)"),
            Crs::Epsg(code) => write!(f, "EPSG:{code}"),
        }
    }
}

/// Airy 1830 ellipsoid and the National Grid's Transverse Mercator projection.
const AIRY_A: f64 = 6_377_563.396;
const AIRY_B: f64 = 6_356_256.909;
const F0: f64 = 0.999_601_271_7;
const LAT0: f64 = 49.0 * std::f64::consts::PI / 180.0;
const LON0: f64 = -2.0 * std::f64::consts::PI / 180.0;
const E0: f64 = 400_000.0;
const N0: f64 = -100_000.0;
/// WGS84 ellipsoid.
const WGS_A: f64 = 6_378_137.0;
const WGS_B: f64 = 6_356_752.314_245;

/// British National Grid easting/northing (metres) to WGS84 longitude/latitude
/// (degrees), accurate to about 5 m across Great Britain.
pub fn bng_to_wgs84(easting: f64, northing: f64) -> (f64, f64) {
    let (lat, lon) = inverse_tm_airy(easting, northing);
    let (x, y, z) = to_cartesian(lat, lon, AIRY_A, AIRY_B);
    let (x, y, z) = helmert_osgb36_to_wgs84(x, y, z);
    let (lat, lon) = from_cartesian(x, y, z, WGS_A, WGS_B);
    (lon.to_degrees(), lat.to_degrees())
}

/// OSGB36 latitude/longitude (radians) of a National Grid easting/northing.
fn inverse_tm_airy(e: f64, n: f64) -> (f64, f64) {
    let (a, b) = (AIRY_A, AIRY_B);
    let e2 = 1.0 - (b * b) / (a * a);
    let nn = (a - b) / (a + b);
    let (n2, n3) = (nn * nn, nn * nn * nn);
    let meridional = |phi: f64| {
        let (d, s) = (phi - LAT0, phi + LAT0);
        b * F0
            * ((1.0 + nn + 1.25 * n2 + 1.25 * n3) * d
                - (3.0 * nn + 3.0 * n2 + 21.0 / 8.0 * n3) * d.sin() * s.cos()
                + (15.0 / 8.0 * n2 + 15.0 / 8.0 * n3) * (2.0 * d).sin() * (2.0 * s).cos()
                - 35.0 / 24.0 * n3 * (3.0 * d).sin() * (3.0 * s).cos())
    };
    let mut phi = LAT0 + (n - N0) / (a * F0);
    let mut m = meridional(phi);
    // Converges in a handful of steps; the bound only guards against NaN input.
    for _ in 0..20 {
        if (n - N0 - m).abs() < 1e-5 {
            break;
        }
        phi += (n - N0 - m) / (a * F0);
        m = meridional(phi);
    }
    let (sin, cos, tan) = (phi.sin(), phi.cos(), phi.tan());
    let nu = a * F0 / (1.0 - e2 * sin * sin).sqrt();
    let rho = a * F0 * (1.0 - e2) / (1.0 - e2 * sin * sin).powf(1.5);
    let eta2 = nu / rho - 1.0;
    let (t2, t4, t6) = (tan * tan, tan.powi(4), tan.powi(6));
    let sec = 1.0 / cos;
    let vii = tan / (2.0 * rho * nu);
    let viii = tan / (24.0 * rho * nu.powi(3)) * (5.0 + 3.0 * t2 + eta2 - 9.0 * t2 * eta2);
    let ix = tan / (720.0 * rho * nu.powi(5)) * (61.0 + 90.0 * t2 + 45.0 * t4);
    let x = sec / nu;
    let xi = sec / (6.0 * nu.powi(3)) * (nu / rho + 2.0 * t2);
    let xii = sec / (120.0 * nu.powi(5)) * (5.0 + 28.0 * t2 + 24.0 * t4);
    let xiia = sec / (5040.0 * nu.powi(7)) * (61.0 + 662.0 * t2 + 1320.0 * t4 + 720.0 * t6);
    let de = e - E0;
    let lat = phi - vii * de.powi(2) + viii * de.powi(4) - ix * de.powi(6);
    let lon = LON0 + x * de - xi * de.powi(3) + xii * de.powi(5) - xiia * de.powi(7);
    (lat, lon)
}

fn to_cartesian(lat: f64, lon: f64, a: f64, b: f64) -> (f64, f64, f64) {
    let e2 = 1.0 - (b * b) / (a * a);
    let nu = a / (1.0 - e2 * lat.sin().powi(2)).sqrt();
    (
        nu * lat.cos() * lon.cos(),
        nu * lat.cos() * lon.sin(),
        (1.0 - e2) * nu * lat.sin(),
    )
}

fn from_cartesian(x: f64, y: f64, z: f64, a: f64, b: f64) -> (f64, f64) {
    let e2 = 1.0 - (b * b) / (a * a);
    let p = x.hypot(y);
    let mut lat = z.atan2(p * (1.0 - e2));
    for _ in 0..10 {
        let nu = a / (1.0 - e2 * lat.sin().powi(2)).sqrt();
        let next = (z + e2 * nu * lat.sin()).atan2(p);
        let done = (next - lat).abs() < 1e-12;
        lat = next;
        if done {
            break;
        }
    }
    (lat, y.atan2(x))
}

/// The Ordnance Survey's OSGB36 → WGS84 Helmert parameters (the inverse of
/// the published WGS84 → OSGB36 set).
fn helmert_osgb36_to_wgs84(x: f64, y: f64, z: f64) -> (f64, f64, f64) {
    let sec = std::f64::consts::PI / (180.0 * 3600.0);
    let (tx, ty, tz) = (446.448, -125.157, 542.060);
    let s = -20.4894e-6;
    let (rx, ry, rz) = (0.1502 * sec, 0.2470 * sec, 0.8421 * sec);
    (
        tx + (1.0 + s) * x - rz * y + ry * z,
        ty + rz * x + (1.0 + s) * y - rx * z,
        tz - ry * x + rx * y + (1.0 + s) * z,
    )
}

/// Why coordinates could not be reprojected.
#[derive(Debug, thiserror::Error)]
pub enum ReprojectError {
    /// The CRS needs libproj and this build has no `proj` feature.
    #[error(
        "{0} can only be reprojected in a build with the `proj` feature; reproject the file to EPSG:4326 or EPSG:27700 first"
    )]
    Unsupported(Crs),
    /// libproj refused the CRS or a coordinate.
    #[error("reprojecting from {crs}: {message}")]
    Proj {
        /// The source CRS.
        crs: Crs,
        /// libproj's message.
        message: String,
    },
}

/// Returns a function reprojecting one coordinate from `crs` to WGS84, or an
/// error when this build cannot reproject from `crs`. The function is cheap
/// and thread-safe for the pure-Rust CRSs; for others see [`reproject_all`].
pub fn pure_rust_transform(crs: Crs) -> Option<fn(Coord<f64>) -> Coord<f64>> {
    // Crs::Epsg(27700) built by hand is still BNG.
    match Crs::from_epsg(crs.epsg()) {
        Crs::Wgs84 => Some(|c| c),
        Crs::BritishNationalGrid => Some(|c| {
            let (x, y) = bng_to_wgs84(c.x, c.y);
            Coord { x, y }
        }),
        Crs::Epsg(_) => None,
    }
}

/// Reprojects every coordinate in `coords` in place from `crs` to WGS84.
/// Pure-Rust CRSs go through [`pure_rust_transform`]; others through libproj
/// when the `proj` feature is on.
pub fn reproject_all(crs: Crs, coords: &mut [&mut Coord<f64>]) -> Result<(), ReprojectError> {
    if let Some(f) = pure_rust_transform(crs) {
        for c in coords.iter_mut() {
            **c = f(**c);
        }
        return Ok(());
    }
    proj_edge::reproject(crs, coords)
}

#[cfg(feature = "proj")]
mod proj_edge {
    use super::{Crs, ReprojectError};
    use geo_types::Coord;

    pub fn reproject(crs: Crs, coords: &mut [&mut Coord<f64>]) -> Result<(), ReprojectError> {
        let err = |message: String| ReprojectError::Proj { crs, message };
        let proj = proj::Proj::new_known_crs(&format!("EPSG:{}", crs.epsg()), "OGC:CRS84", None)
            .map_err(|e| err(e.to_string()))?;
        for c in coords.iter_mut() {
            let (x, y) = proj.convert((c.x, c.y)).map_err(|e| err(e.to_string()))?;
            **c = Coord { x, y };
        }
        Ok(())
    }

    #[cfg(test)]
    mod tests {
        use super::super::{Crs, bng_to_wgs84};
        use super::reproject;
        use geo_types::Coord;

        #[test]
        fn libproj_agrees_with_pure_rust_bng_and_does_web_mercator() {
            // Through libproj: EPSG:27700 as a generic code, and EPSG:3857.
            let mut bng = Coord {
                x: 532_129.0,
                y: 181_625.0,
            };
            reproject(Crs::Epsg(27700), &mut [&mut bng]).unwrap();
            let (lon, lat) = bng_to_wgs84(532_129.0, 181_625.0);
            assert!(
                (bng.x - lon).abs() < 1e-4 && (bng.y - lat).abs() < 1e-4,
                "{bng:?}"
            );
            let mut merc = Coord {
                x: -10_805.0,
                y: 6_713_438.0,
            };
            reproject(Crs::Epsg(3857), &mut [&mut merc]).unwrap();
            assert!(
                (merc.x - -0.09706).abs() < 1e-3 && (merc.y - 51.518).abs() < 1e-2,
                "{merc:?}"
            );
            let mut c = Coord { x: 0.0, y: 0.0 };
            assert!(reproject(Crs::Epsg(999_999), &mut [&mut c]).is_err());
        }
    }
}

#[cfg(not(feature = "proj"))]
mod proj_edge {
    use super::{Crs, ReprojectError};
    use geo_types::Coord;

    pub fn reproject(crs: Crs, _coords: &mut [&mut Coord<f64>]) -> Result<(), ReprojectError> {
        Err(ReprojectError::Unsupported(crs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_spellings() {
        for s in [
            "EPSG:27700",
            "27700",
            "BNG",
            "bng",
            "urn:ogc:def:crs:EPSG::27700",
            "EPSG::27700",
        ] {
            assert_eq!(Crs::parse(s), Some(Crs::BritishNationalGrid), "{s}");
        }
        for s in [
            "WGS84",
            "EPSG:4326",
            "CRS84",
            "urn:ogc:def:crs:OGC:1.3:CRS84",
            "4326",
            "urn:ogc:def:crs:EPSG::4326",
        ] {
            assert_eq!(Crs::parse(s), Some(Crs::Wgs84), "{s}");
        }
        assert_eq!(Crs::parse("EPSG:3857"), Some(Crs::Epsg(3857)));
        assert_eq!(Crs::parse("Mars2000"), None);
        assert_eq!(Crs::parse("EPSG:abc"), None);
        assert_eq!(Crs::parse(""), None);
    }

    #[test]
    fn recognises_prj_wkt() {
        let bng = r#"PROJCS["British_National_Grid",GEOGCS["GCS_OSGB_1936",DATUM["D_OSGB_1936",SPHEROID["Airy_1830",6377563.396,299.3249646]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",400000.0],UNIT["Meter",1.0]]"#;
        assert_eq!(Crs::from_wkt(bng), Some(Crs::BritishNationalGrid));
        let wgs = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        assert_eq!(Crs::from_wkt(wgs), Some(Crs::Wgs84));
        let merc = r#"PROJCS["WGS 84 / Pseudo-Mercator",GEOGCS["WGS 84",AUTHORITY["EPSG","4326"]],AUTHORITY["EPSG","3857"]]"#;
        assert_eq!(Crs::from_wkt(merc), Some(Crs::Epsg(3857)));
        assert_eq!(Crs::from_wkt("LOCAL_CS[\"x\"]"), None);
    }

    #[test]
    fn bng_matches_the_ordnance_survey_worked_example() {
        // OS "A guide to coordinate systems in Great Britain": Caister water
        // tower, OSGB36 52°39'27.2531"N 1°43'4.5177"E = E 651409.903, N 313177.270.
        let (lat, lon) = inverse_tm_airy(651_409.903, 313_177.270);
        let want_lat = 52.0 + 39.0 / 60.0 + 27.2531 / 3600.0;
        let want_lon = 1.0 + 43.0 / 60.0 + 4.5177 / 3600.0;
        assert!(
            (lat.to_degrees() - want_lat).abs() < 1e-7,
            "{}",
            lat.to_degrees()
        );
        assert!(
            (lon.to_degrees() - want_lon).abs() < 1e-7,
            "{}",
            lon.to_degrees()
        );
    }

    #[test]
    fn bng_to_wgs84_lands_near_known_points() {
        // ONS's own population-weighted centroid of E01000001 (City of London
        // 001A): BNG 532129, 181625 = -0.09706, 51.5181; within ~5 m.
        let (lon, lat) = bng_to_wgs84(532_129.0, 181_625.0);
        assert!(
            (lon - -0.09706).abs() < 1e-4 && (lat - 51.5181).abs() < 1e-4,
            "{lon} {lat}"
        );
        assert!(pure_rust_transform(Crs::Epsg(3857)).is_none());
    }
}
