//! Reading GeoJSON boundaries: properties, geometry, errors, CRS, repairs.

use super::*;
use std::path::PathBuf;

fn parse(text: &str) -> Result<Boundaries, IngestError> {
    parse_geojson(
        text.as_bytes(),
        &PathBuf::from("t.geojson"),
        &BoundaryOptions::default(),
    )
}

const SQUARE: &str = r#"[[[0,0],[1,0],[1,1],[0,1],[0,0]]]"#;

fn collection(features: &[String]) -> String {
    format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",")
    )
}

fn feature(props: &str, geometry: &str) -> String {
    format!(r#"{{"type":"Feature","properties":{props},"geometry":{geometry}}}"#)
}

#[test]
fn properties_become_plain_text() {
    let f = feature(
        r#"{"code":"E01000001","n":532129,"x":0.5,"big":1e20,"t":true,"nil":null,"o":{"a":[1]}}"#,
        &format!(r#"{{"type":"Polygon","coordinates":{SQUARE}}}"#),
    );
    let b = parse(&collection(&[f])).unwrap();
    let p = &b.features[0].properties;
    assert_eq!(p["code"], "E01000001");
    assert_eq!(p["n"], "532129");
    assert_eq!(p["x"], "0.5");
    assert_eq!(p["big"], "100000000000000000000");
    assert_eq!(p["t"], "true");
    assert!(!p.contains_key("nil"));
    assert_eq!(p["o"], r#"{"a":[1]}"#);
    assert_eq!(b.source_crs, Crs::Wgs84);
    assert!(b.repairs.is_empty(), "{:?}", b.repairs);
}

#[test]
fn reads_multipolygons_holes_and_a_single_feature() {
    let multi = format!(
        r#"{{"coordinates":[{SQUARE},[[[2,2],[5,2],[5,5],[2,5],[2,2]],[[3,3],[3,4],[4,4],[4,3],[3,3]]]],"type":"MultiPolygon"}}"#
    );
    let b = parse(&collection(&[feature("{}", &multi)])).unwrap();
    let g = &b.features[0].geometry;
    assert_eq!(g.0.len(), 2);
    assert_eq!(g.0[1].interiors().len(), 1);
    let single = feature(
        r#"{"code":"X"}"#,
        &format!(r#"{{"type":"Polygon","coordinates":{SQUARE}}}"#),
    );
    let b = parse(&single).unwrap();
    assert_eq!(b.features.len(), 1);
    assert_eq!(b.features[0].properties["code"], "X");
}

#[test]
fn errors_name_the_feature_and_code() {
    let ok = feature(
        r#"{"LSOA11CD":"A"}"#,
        &format!(r#"{{"type":"Polygon","coordinates":{SQUARE}}}"#),
    );
    let point = feature(
        r#"{"LSOA11CD":"B"}"#,
        r#"{"type":"Point","coordinates":[0,0]}"#,
    );
    let e = parse(&collection(&[ok.clone(), point]))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "t.geojson: feature 1 (B): geometry type Point is not supported; only Polygon and MultiPolygon"
    );
    let none = feature(r#"{"LSOA11CD":"C"}"#, "null");
    let e = parse(&collection(&[ok.clone(), ok.clone(), none]))
        .unwrap_err()
        .to_string();
    assert_eq!(e, "t.geojson: feature 2 (C): has no geometry");
    let nan = feature(
        r#"{"LSOA11CD":"D"}"#,
        r#"{"type":"Polygon","coordinates":[[[0,0],[NaN,0],[1,1],[0,0]]]}"#,
    );
    let e = parse(&collection(&[ok.clone(), nan]))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("t.geojson: feature 1 (D): coordinate NaN is not a finite number"),
        "{e}"
    );
    let nan_prop = feature(
        r#"{"LSOA11CD":"F","x":NaN}"#,
        &format!(r#"{{"type":"Polygon","coordinates":{SQUARE}}}"#),
    );
    let e = parse(&collection(&[nan_prop])).unwrap_err().to_string();
    assert!(
        e.starts_with("t.geojson: feature 0: value NaN is not a finite number"),
        "{e}"
    );
    let text = feature(
        r#"{"LSOA11CD":"E"}"#,
        r#"{"type":"Polygon","coordinates":[[[0,0],["1",0],[1,1],[0,0]]]}"#,
    );
    let e = parse(&collection(&[text])).unwrap_err().to_string();
    assert!(
        e.starts_with("t.geojson: feature 0 (E): invalid type: string \"1\""),
        "{e}"
    );
}

#[test]
fn truncated_json_is_a_file_error_with_line_and_column() {
    let text = collection(&[feature(
        "{}",
        &format!(r#"{{"type":"Polygon","coordinates":{SQUARE}}}"#),
    )]);
    let e = parse(&text[..text.len() - 20]).unwrap_err();
    assert!(matches!(e, IngestError::File { .. }), "{e:?}");
    let e = e.to_string();
    assert!(
        e.starts_with("t.geojson: truncated JSON: EOF while parsing"),
        "{e}"
    );
    assert!(e.contains("line 1 column"), "{e}");
}

#[test]
fn crs_member_user_override_and_plausibility() {
    let bng =
        r#"[[[532129,181625],[532229,181625],[532229,181725],[532129,181725],[532129,181625]]]"#;
    let f = feature(
        "{}",
        &format!(r#"{{"type":"Polygon","coordinates":{bng}}}"#),
    );
    let e = parse(&collection(std::slice::from_ref(&f)))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("t.geojson: feature 0: no CRS is stated"),
        "{e}"
    );
    assert!(e.contains("state its CRS"), "{e}");
    let named = format!(
        r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"urn:ogc:def:crs:EPSG::27700"}}}},"features":[{f}]}}"#
    );
    let b = parse(&named).unwrap();
    assert_eq!(b.source_crs, Crs::BritishNationalGrid);
    let c = b.features[0].geometry.0[0].exterior().0[0];
    assert!(
        (c.x - -0.0970).abs() < 0.01 && (c.y - 51.518).abs() < 0.01,
        "{c:?}"
    );
    let opts = BoundaryOptions {
        crs: Some(Crs::BritishNationalGrid),
        ..Default::default()
    };
    let b = parse_geojson(collection(&[f]).as_bytes(), Path::new("t.geojson"), &opts).unwrap();
    assert_eq!(b.source_crs, Crs::BritishNationalGrid);
    let unknown = r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"Mars2000"}},"features":[]}"#;
    let e = parse(unknown).unwrap_err().to_string();
    assert_eq!(
        e,
        "t.geojson: unknown CRS \"Mars2000\" in the file's \"crs\" member; state the CRS (e.g. EPSG:27700)"
    );
}

#[test]
fn a_stated_crs_must_agree_with_the_file_and_its_coordinates() {
    let square = format!(r#"{{"type":"Polygon","coordinates":{SQUARE}}}"#);
    let named = |crs: &str| {
        format!(
            r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"{crs}"}}}},"features":[{}]}}"#,
            feature(r#"{"code":"A"}"#, &square)
        )
    };
    let bng = BoundaryOptions {
        crs: Some(Crs::BritishNationalGrid),
        ..Default::default()
    };
    let e = parse_geojson(named("EPSG:4326").as_bytes(), Path::new("t.geojson"), &bng)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "t.geojson: the file's \"crs\" member says EPSG:4326 (WGS84), but EPSG:27700 (British National Grid) was stated for it; the two contradict, so one is wrong"
    );
    let e = parse(&named("EPSG:27700")).unwrap_err().to_string();
    assert!(
        e.starts_with("t.geojson: feature 0 (A): the file states EPSG:27700 (British National Grid), but every coordinate is within ±180, ±90"),
        "{e}"
    );
    let far = feature(
        r#"{"code":"B"}"#,
        r#"{"type":"Polygon","coordinates":[[[0,0],[9000000,0],[9000000,1000],[0,0]]]}"#,
    );
    let e = parse_geojson(collection(&[far]).as_bytes(), Path::new("t.geojson"), &bng)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("t.geojson: feature 0 (B): EPSG:27700 (British National Grid) was stated, but coordinate (9000000, 0) is off the grid"),
        "{e}"
    );
}

#[test]
fn invalid_features_fail_or_are_skipped_and_reported() {
    let bow = feature(
        r#"{"code":"Z"}"#,
        r#"{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}"#,
    );
    let ok = feature(
        r#"{"code":"A"}"#,
        &format!(r#"{{"type":"Polygon","coordinates":{SQUARE}}}"#),
    );
    let text = collection(&[ok, bow]);
    let e = parse(&text).unwrap_err().to_string();
    assert!(
        e.starts_with("t.geojson: feature 1 (Z): ring 0: ring intersects itself"),
        "{e}"
    );
    let opts = BoundaryOptions {
        skip_invalid: true,
        ..Default::default()
    };
    let b = parse_geojson(text.as_bytes(), Path::new("t.geojson"), &opts).unwrap();
    assert_eq!(b.features.len(), 1);
    assert_eq!(b.repairs.len(), 1);
    assert_eq!(b.repairs[0].feature, 1);
    assert!(
        b.repairs[0]
            .what
            .starts_with("skipped the feature: ring 0: ring intersects itself")
    );
}
