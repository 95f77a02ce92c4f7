//! GeoJSON (RFC 7946) export: a [`Table`] in, one FeatureCollection out.
//!
//! Coordinates are WGS84 lon/lat rounded to 6 decimal places, exterior rings
//! counter-clockwise and holes clockwise (the right-hand rule), no `crs`
//! member. Each feature's properties are the table's columns in order; the
//! collection carries a foreign `metadata` member (methodology, sources,
//! vintages, attribution, demonstration flag, generator, roll-up method).
//! The file is streamed feature by feature, and written atomically.

use std::io::{self, Write};
use std::path::Path;

use geo_types::{Coord, LineString, MultiPolygon};

use super::format::{COORD_DECIMALS, push_num, round};
use super::{Cells, ExportError, Table};
use crate::atomic::write_atomic;

/// Writes `table` as GeoJSON to `path`, atomically.
pub fn export_geojson(table: &Table<'_>, path: &Path) -> Result<(), ExportError> {
    write_atomic(path, |w| write_geojson(table, w)).map_err(|e| ExportError::Io {
        path: path.to_path_buf(),
        source: e,
    })
}

/// Streams `table` as a GeoJSON FeatureCollection into `w`.
pub fn write_geojson<W: Write>(table: &Table<'_>, w: &mut W) -> io::Result<()> {
    w.write_all(b"{\"type\":\"FeatureCollection\",\"metadata\":")?;
    serde_json::to_writer(&mut *w, &table.metadata).map_err(io::Error::other)?;
    w.write_all(b",\"features\":[\n")?;
    let mut buf = String::with_capacity(64 * 1024);
    for row in 0..table.len() {
        buf.clear();
        if row > 0 {
            buf.push_str(",\n");
        }
        buf.push_str("{\"type\":\"Feature\",\"properties\":{");
        for (k, col) in table.columns.iter().enumerate() {
            if k > 0 {
                buf.push(',');
            }
            push_str(&mut buf, &col.name);
            buf.push(':');
            push_cell(&mut buf, &col.cells, row);
        }
        buf.push_str("},\"geometry\":");
        match table.geometry[row] {
            Some(g) => push_geometry(&mut buf, g),
            None => buf.push_str("null"),
        }
        buf.push('}');
        w.write_all(buf.as_bytes())?;
    }
    w.write_all(b"\n]}\n")?;
    Ok(())
}

/// A JSON string literal.
fn push_str(out: &mut String, s: &str) {
    // serde_json escapes exactly as JSON requires; a String never fails.
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()));
}

fn push_cell(out: &mut String, cells: &Cells, row: usize) {
    match cells {
        Cells::Text(v) => match &v[row] {
            Some(s) => push_str(out, s),
            None => out.push_str("null"),
        },
        Cells::Num { values, decimals } => match values[row] {
            Some(x) => push_num(out, x, *decimals),
            None => out.push_str("null"),
        },
        Cells::Int(v) => match v[row] {
            Some(x) => out.push_str(&x.to_string()),
            None => out.push_str("null"),
        },
        Cells::Bool(v) => out.push_str(match v[row] {
            Some(true) => "true",
            Some(false) => "false",
            None => "null",
        }),
    }
}

/// Rounds a ring to output precision, drops repeated points, closes it and
/// orients it: counter-clockwise when `exterior`, clockwise otherwise.
/// `None` when fewer than 4 positions remain.
pub(crate) fn output_ring(ring: &LineString<f64>, exterior: bool) -> Option<Vec<Coord<f64>>> {
    let mut pts: Vec<Coord<f64>> = Vec::with_capacity(ring.0.len() + 1);
    for c in &ring.0 {
        let p = Coord {
            x: round(c.x, COORD_DECIMALS),
            y: round(c.y, COORD_DECIMALS),
        };
        if pts.last() != Some(&p) {
            pts.push(p);
        }
    }
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    if pts.len() < 3 {
        return None;
    }
    let first = pts[0];
    pts.push(first);
    let twice_area: f64 = pts
        .windows(2)
        .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
        .sum();
    if twice_area == 0.0 {
        return None;
    }
    if (twice_area > 0.0) != exterior {
        pts.reverse();
    }
    Some(pts)
}

fn push_geometry(out: &mut String, g: &MultiPolygon<f64>) {
    let polys: Vec<Vec<Vec<Coord<f64>>>> =
        g.0.iter()
            .filter_map(|p| {
                let ext = output_ring(p.exterior(), true)?;
                let mut rings = vec![ext];
                rings.extend(p.interiors().iter().filter_map(|r| output_ring(r, false)));
                Some(rings)
            })
            .collect();
    let push_poly = |out: &mut String, rings: &[Vec<Coord<f64>>]| {
        out.push('[');
        for (i, r) in rings.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('[');
            for (j, c) in r.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                out.push('[');
                push_num(out, c.x, COORD_DECIMALS);
                out.push(',');
                push_num(out, c.y, COORD_DECIMALS);
                out.push(']');
            }
            out.push(']');
        }
        out.push(']');
    };
    // Always MultiPolygon, as the dataset stores it: one geometry type per
    // file keeps GIS tools from typing the layer as "unknown".
    if polys.is_empty() {
        out.push_str("null");
        return;
    }
    out.push_str("{\"type\":\"MultiPolygon\",\"coordinates\":[");
    for (i, p) in polys.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_poly(out, p);
    }
    out.push_str("]}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::line_string;

    #[test]
    fn rings_follow_the_right_hand_rule() {
        // Clockwise square as input.
        let cw = line_string![(x: 0.0, y: 0.0), (x: 0.0, y: 1.0), (x: 1.0, y: 1.0), (x: 1.0, y: 0.0), (x: 0.0, y: 0.0)];
        let ext = output_ring(&cw, true).unwrap();
        let area: f64 = ext
            .windows(2)
            .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
            .sum();
        assert!(area > 0.0, "exterior counter-clockwise");
        assert_eq!(ext.first(), ext.last());
        let hole = output_ring(&cw, false).unwrap();
        let area: f64 = hole
            .windows(2)
            .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
            .sum();
        assert!(area < 0.0, "hole clockwise");
    }

    #[test]
    fn degenerate_rings_after_rounding_are_dropped() {
        let tiny = line_string![(x: 0.0, y: 0.0), (x: 0.0000001, y: 0.0), (x: 0.0, y: 0.0000001), (x: 0.0, y: 0.0)];
        assert!(output_ring(&tiny, true).is_none());
    }
}
