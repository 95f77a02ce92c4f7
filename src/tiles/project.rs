//! Web Mercator: WGS84 longitude/latitude in, world units out (x and y in
//! 0..1, y growing southwards as in XYZ tiles), and back.

use std::f64::consts::PI;

/// Latitude limit of the square Web Mercator world.
pub(crate) const MAX_LAT: f64 = 85.051_128_779_806_59;

/// Longitude/latitude (degrees) to world units. A longitude outside
/// -180..180 is pinned to the edge, as latitude is to the square world, so
/// that no finite input lands off the world: the per-zoom integer grid
/// (and its orientation tests) would overflow far outside it.
pub(crate) fn to_world(lon: f64, lat: f64) -> [f64; 2] {
    let lat = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    let x = (lon.clamp(-180.0, 180.0) + 180.0) / 360.0;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / PI) / 2.0;
    [x, y]
}

/// World units to longitude/latitude (degrees).
#[cfg(test)]
pub(crate) fn to_lonlat(p: [f64; 2]) -> [f64; 2] {
    let lon = p[0] * 360.0 - 180.0;
    let lat = (PI * (1.0 - 2.0 * p[1])).sinh().atan().to_degrees();
    [lon, lat]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_orientation() {
        let p = to_world(-0.1, 51.5);
        let back = to_lonlat(p);
        assert!((back[0] + 0.1).abs() < 1e-9 && (back[1] - 51.5).abs() < 1e-9);
        // North is up: a point further north has a smaller y.
        assert!(to_world(0.0, 52.0)[1] < to_world(0.0, 51.0)[1]);
        assert_eq!(to_world(0.0, 0.0), [0.5, 0.5]);
        // Off the world is pinned to its edge (found by fuzzing: lon 1e300
        // overflowed the zoom grid).
        assert_eq!(to_world(1e300, 1e300), to_world(180.0, 90.0));
        assert_eq!(to_world(-1e300, 0.0)[0], 0.0);
    }
}
