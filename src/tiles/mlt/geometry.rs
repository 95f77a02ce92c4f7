//! The MLT geometry column: each feature's polygon rings in, the column's
//! streams out.
//!
//! In: per feature, the MVT polygon commands the MVT writer makes of the
//! rings (so both encodings carry exactly the same vertices, with the same
//! repeated and collinear points dropped). They are read back into rings
//! and grouped into polygons by winding (an exterior, positive by the MVT
//! formula, starts a polygon; holes follow it). Out: a geometry-type stream
//! (Polygon, or MultiPolygon for several polygons), the polygons per
//! multipolygon, rings per polygon and vertices per ring as length streams,
//! and the vertices (no closing point) as componentwise deltas.

use super::streams::{Encoding, Kind, stream, sub, uint_stream, varint, zigzag};
use crate::tiles::clip::area2;

/// MLT geometry type of a single polygon.
const POLYGON: u64 = 2;
/// MLT geometry type of several polygons.
const MULTIPOLYGON: u64 = 5;

/// The geometry column, built feature by feature.
#[derive(Debug, Default)]
pub(crate) struct GeometryColumn {
    types: Vec<u64>,
    /// Polygons of each multipolygon (none for single polygons).
    polygons: Vec<u64>,
    /// Rings of each polygon.
    rings: Vec<u64>,
    /// Vertices of each ring.
    vertices: Vec<u64>,
    coords: Vec<[i32; 2]>,
    scratch: Vec<Vec<[i32; 2]>>,
}

impl GeometryColumn {
    /// Adds one feature from its MVT polygon commands.
    pub(crate) fn push(&mut self, commands: &[u32]) {
        read_rings(commands, &mut self.scratch);
        let mut n_polygons = 0u64;
        for (i, ring) in self.scratch.iter().enumerate() {
            if i == 0 || area2(ring) > 0 {
                n_polygons += 1;
                self.rings.push(0);
            }
            if let Some(r) = self.rings.last_mut() {
                *r += 1;
            }
            self.vertices.push(ring.len() as u64);
            self.coords.extend_from_slice(ring);
        }
        if n_polygons > 1 {
            self.types.push(MULTIPOLYGON);
            self.polygons.push(n_polygons);
        } else {
            self.types.push(POLYGON);
        }
    }

    /// Appends the column (stream count, then streams).
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        let multi = !self.polygons.is_empty();
        varint(out, if multi { 5 } else { 4 });
        uint_stream(out, Kind::Data, sub::NONE, &self.types);
        if multi {
            uint_stream(out, Kind::Length, sub::GEOMETRIES, &self.polygons);
        }
        uint_stream(out, Kind::Length, sub::PARTS, &self.rings);
        uint_stream(out, Kind::Length, sub::RINGS, &self.vertices);
        let mut payload = Vec::with_capacity(self.coords.len() * 3);
        let mut prev = [0i32; 2];
        for p in &self.coords {
            varint(&mut payload, zigzag(i64::from(p[0]) - i64::from(prev[0])));
            varint(&mut payload, zigzag(i64::from(p[1]) - i64::from(prev[1])));
            prev = *p;
        }
        stream(
            out,
            Kind::Data,
            sub::VERTEX,
            Encoding::ComponentwiseDeltaVarint,
            self.coords.len() * 2,
            &payload,
        );
    }
}

/// The rings of MVT polygon commands, as an MVT decoder reads them: a MoveTo
/// starts a ring, LineTo extends it, ClosePath ends it (the closing point is
/// implied, not stored).
fn read_rings(commands: &[u32], rings: &mut Vec<Vec<[i32; 2]>>) {
    const MOVE_TO: u32 = 1;
    const LINE_TO: u32 = 2;
    let unzig = |v: u32| ((v >> 1) as i32) ^ -((v & 1) as i32);
    rings.clear();
    let mut cursor = [0i32; 2];
    let mut i = 0;
    while i < commands.len() {
        let (id, count) = (commands[i] & 7, commands[i] >> 3);
        i += 1;
        if id != MOVE_TO && id != LINE_TO {
            continue;
        }
        for _ in 0..count {
            let (Some(&dx), Some(&dy)) = (commands.get(i), commands.get(i + 1)) else {
                return;
            };
            i += 2;
            cursor = [
                cursor[0].wrapping_add(unzig(dx)),
                cursor[1].wrapping_add(unzig(dy)),
            ];
            match rings.last_mut() {
                Some(ring) if id == LINE_TO => ring.push(cursor),
                _ => rings.push(vec![cursor]),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tiles::mvt_layer::polygon_commands;

    #[test]
    fn rings_read_back_from_mvt_commands() {
        let rings = vec![
            vec![[0, 0], [100, 0], [100, 100], [0, 100]],
            vec![[10, 10], [10, 20], [20, 20], [20, 10]],
            vec![[-64, 200], [50, 200], [50, 4200]],
        ];
        let mut cmds = Vec::new();
        polygon_commands(&rings, &mut cmds);
        let mut back = Vec::new();
        read_rings(&cmds, &mut back);
        assert_eq!(back, rings);
        // Repeated and axis-collinear points go, as in the MVT.
        polygon_commands(&[vec![[0, 0], [5, 0], [5, 0], [9, 0], [9, 9]]], &mut cmds);
        read_rings(&cmds, &mut back);
        assert_eq!(back, [vec![[0, 0], [9, 0], [9, 9]]]);
    }

    #[test]
    fn polygons_are_grouped_by_winding() {
        let mut col = GeometryColumn::default();
        let square = |x: i32| vec![[x, 0], [x + 10, 0], [x + 10, 10], [x, 10]];
        let hole = vec![[2, 2], [2, 4], [4, 4], [4, 2]];
        let mut cmds = Vec::new();
        polygon_commands(&[square(0), hole.clone()], &mut cmds);
        col.push(&cmds);
        polygon_commands(&[square(0), hole, square(20)], &mut cmds);
        col.push(&cmds);
        assert_eq!(col.types, [POLYGON, MULTIPOLYGON]);
        assert_eq!(col.polygons, [2]);
        assert_eq!(col.rings, [2, 2, 1]);
        assert_eq!(col.vertices, [4, 4, 4, 4, 4]);
    }
}
