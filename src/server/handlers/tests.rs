//! Tests of `handlers`.

use super::*;

#[test]
fn bbox_parsing_checks_shape_order_and_area() {
    assert_eq!(parse_bbox("0,1,2,3", 10.0).unwrap(), [0.0, 1.0, 2.0, 3.0]);
    for bad in [
        "0,1,2",
        "a,1,2,3",
        "2,1,0,3",
        "0,3,2,1",
        "0,1,2,3,4",
        "-200,0,0,1",
        "nan,0,1,1",
    ] {
        assert!(parse_bbox(bad, 10.0).is_err(), "{bad}");
    }
    assert!(parse_bbox("0,0,3,3", 4.0).is_err(), "9 deg2 over limit");
}

#[test]
fn polygon_parsing_checks_type_and_size() {
    let sq = json!({"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,1],[0,0]]]});
    assert_eq!(parse_polygon(&sq, 100).unwrap().0.len(), 1);
    assert!(parse_polygon(&sq, 4).is_err());
    let pt = json!({"type": "Point", "coordinates": [0, 0]});
    assert!(parse_polygon(&pt, 100).is_err());
    assert!(parse_polygon(&json!({"type": "Polygon"}), 100).is_err());
}

#[test]
fn polygon_positions_must_be_on_earth_and_rings_closed() {
    let far = json!({"type": "Polygon", "coordinates": [[[0,0],[1000,0],[1000,1],[0,1],[0,0]]]});
    let e = parse_polygon(&far, 100).unwrap_err().to_string();
    assert!(e.contains("outside"), "{e}");
    let south = json!({"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,-1000],[0,0]]]});
    assert!(parse_polygon(&south, 100).is_err());
    let open = json!({"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,1]]]});
    let e = parse_polygon(&open, 100).unwrap_err().to_string();
    assert!(e.contains("not closed"), "{e}");
    let multi_open = json!({"type": "MultiPolygon", "coordinates": [[[[0,0],[1,0],[1,1],[0,1],[0,0]]], [[[2,0],[3,0],[3,1],[2,1]]]]});
    let e = parse_polygon(&multi_open, 100).unwrap_err().to_string();
    assert!(e.contains("ring 1 is not closed"), "{e}");
}
