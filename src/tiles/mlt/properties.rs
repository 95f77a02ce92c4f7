//! MLT property columns: each feature's tags in, one typed column per key
//! out.
//!
//! In: per feature, (key, value) pairs as the MVT writer takes them. Out:
//! per key, in order of first use, a column of one scalar type: BOOLEAN,
//! INT_32 (INT_64 when a value does not fit), DOUBLE (a key with both
//! integers and doubles is a DOUBLE column, as integers up to 2^53 are
//! exact doubles) or STRING (plain, or a dictionary when that is smaller).
//! A column that some feature lacks is nullable: a present stream says
//! which features have a value and the data stream holds only those. Text
//! and numbers under one key cannot share a column and are an error.

use super::streams::{Encoding, Kind, bool_stream, stream, sub, uint_stream, varint, zigzag};
use crate::tiles::mvt_layer::TagValue;

/// A column's values, of the features that have one.
#[derive(Clone, Debug, PartialEq)]
enum Values<'a> {
    Bool(Vec<bool>),
    Int(Vec<i64>),
    Double(Vec<f64>),
    Str(Vec<&'a str>),
}

impl Values<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Values::Bool(_) => "boolean",
            Values::Int(_) | Values::Double(_) => "number",
            Values::Str(_) => "text",
        }
    }
}

/// One property column.
#[derive(Clone, Debug)]
pub(crate) struct PropertyColumn<'a> {
    pub(crate) name: &'a str,
    /// Whether each feature so far has a value.
    present: Vec<bool>,
    values: Values<'a>,
}

impl<'a> PropertyColumn<'a> {
    /// A column first used by feature `n_before` (those before it lack it).
    pub(crate) fn new(name: &'a str, n_before: usize, first: TagValue<'a>) -> Self {
        let values = match first {
            TagValue::Bool(_) => Values::Bool(Vec::new()),
            TagValue::Sint(_) => Values::Int(Vec::new()),
            TagValue::Double(_) => Values::Double(Vec::new()),
            TagValue::Str(_) => Values::Str(Vec::new()),
        };
        PropertyColumn {
            name,
            present: vec![false; n_before],
            values,
        }
    }

    /// Adds the value of the feature being written.
    pub(crate) fn push(&mut self, value: TagValue<'a>) -> Result<(), String> {
        // An integer column meeting a double becomes a double column.
        if let (Values::Int(ints), TagValue::Double(_)) = (&self.values, value) {
            self.values = Values::Double(ints.iter().map(|&i| i as f64).collect());
        }
        match (&mut self.values, value) {
            (Values::Bool(v), TagValue::Bool(b)) => v.push(b),
            (Values::Int(v), TagValue::Sint(i)) => v.push(i),
            (Values::Double(v), TagValue::Double(x)) => v.push(x),
            (Values::Double(v), TagValue::Sint(i)) => v.push(i as f64),
            (Values::Str(v), TagValue::Str(s)) => v.push(s),
            (values, _) => {
                return Err(format!(
                    "property '{}' is {} in one feature and {} in another; an MLT \
                     column has one type",
                    self.name,
                    values.kind(),
                    match value {
                        TagValue::Bool(_) => "boolean",
                        TagValue::Str(_) => "text",
                        _ => "number",
                    }
                ));
            }
        }
        self.present.push(true);
        Ok(())
    }

    /// Marks the feature being written as lacking this column, unless it
    /// has a value (`n` features written, this one included).
    pub(crate) fn fill_to(&mut self, n: usize) {
        self.present.resize(n, false);
    }

    fn nullable(&self) -> bool {
        self.present.iter().any(|p| !p)
    }

    /// The metadata type code: `10 + 2 × scalar type`, plus one when nullable.
    pub(crate) fn type_code(&self) -> u64 {
        let scalar = match &self.values {
            Values::Bool(_) => 0,
            Values::Int(v) if v.iter().all(|&i| i32::try_from(i).is_ok()) => 3,
            Values::Int(_) => 5,
            Values::Double(_) => 8,
            Values::Str(_) => 9,
        };
        10 + 2 * scalar + u64::from(self.nullable())
    }

    /// Appends the column's streams (a string column first says how many).
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        let nullable = self.nullable();
        let mut streams = Vec::new();
        if nullable {
            bool_stream(&mut streams, Kind::Present, &self.present);
        }
        match &self.values {
            Values::Bool(v) => bool_stream(&mut streams, Kind::Data, v),
            Values::Int(v) => {
                let z: Vec<u64> = v.iter().map(|&i| zigzag(i)).collect();
                uint_stream(&mut streams, Kind::Data, sub::NONE, &z);
            }
            Values::Double(v) => {
                let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                stream(
                    &mut streams,
                    Kind::Data,
                    sub::NONE,
                    Encoding::Raw,
                    v.len(),
                    &bytes,
                );
            }
            Values::Str(v) => {
                let n = write_strings(&mut streams, v);
                varint(out, (n + usize::from(nullable)) as u64);
            }
        }
        out.extend_from_slice(&streams);
    }
}

/// Appends a string column's data streams, plain or as a dictionary,
/// whichever is smaller; returns the number of streams.
fn write_strings(out: &mut Vec<u8>, values: &[&str]) -> usize {
    let mut dict: Vec<&str> = Vec::new();
    let mut index: std::collections::HashMap<&str, u64> = Default::default();
    let offsets: Vec<u64> = values
        .iter()
        .map(|s| {
            *index.entry(s).or_insert_with(|| {
                dict.push(s);
                dict.len() as u64 - 1
            })
        })
        .collect();
    let bytes = |v: &[&str]| v.iter().map(|s| s.len() + 1).sum::<usize>();
    let dict_cost = bytes(&dict) + values.len() * if dict.len() > 128 { 2 } else { 1 };
    if dict_cost < bytes(values) {
        uint_stream(out, Kind::Offset, sub::STRING, &offsets);
        let lens: Vec<u64> = dict.iter().map(|s| s.len() as u64).collect();
        uint_stream(out, Kind::Length, sub::DICTIONARY, &lens);
        let data: Vec<u8> = dict.concat().into_bytes();
        stream(
            out,
            Kind::Data,
            sub::SINGLE,
            Encoding::Raw,
            dict.len(),
            &data,
        );
        3
    } else {
        let lens: Vec<u64> = values.iter().map(|s| s.len() as u64).collect();
        uint_stream(out, Kind::Length, sub::VAR_BINARY, &lens);
        let data: Vec<u8> = values.concat().into_bytes();
        stream(
            out,
            Kind::Data,
            sub::NONE,
            Encoding::Raw,
            values.len(),
            &data,
        );
        2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_meeting_doubles_become_doubles() {
        let mut c = PropertyColumn::new("index", 1, TagValue::Sint(3));
        c.push(TagValue::Sint(3)).unwrap();
        c.push(TagValue::Double(2.5)).unwrap();
        c.push(TagValue::Sint(-1)).unwrap();
        c.fill_to(5);
        assert_eq!(c.values, Values::Double(vec![3.0, 2.5, -1.0]));
        assert_eq!(c.present, [false, true, true, true, false]);
        assert_eq!(c.type_code(), 27, "nullable DOUBLE");
    }

    #[test]
    fn text_and_numbers_under_one_key_are_refused() {
        let mut c = PropertyColumn::new("code", 0, TagValue::Str("E01"));
        c.push(TagValue::Str("E01")).unwrap();
        let e = c.push(TagValue::Double(1.0)).unwrap_err();
        assert!(e.starts_with("property 'code' is text"), "{e}");
    }

    #[test]
    fn wide_integers_use_int64() {
        let mut c = PropertyColumn::new("n", 0, TagValue::Sint(1));
        c.push(TagValue::Sint(1)).unwrap();
        assert_eq!(c.type_code(), 16, "INT_32");
        c.push(TagValue::Sint(1 << 40)).unwrap();
        assert_eq!(c.type_code(), 20, "INT_64");
    }

    #[test]
    fn repeated_strings_use_a_dictionary() {
        let (mut plain, mut dict) = (Vec::new(), Vec::new());
        assert_eq!(write_strings(&mut plain, &["a", "bb", "c"]), 2);
        assert_eq!(write_strings(&mut dict, &["Camden"; 20]), 3);
        assert_eq!(plain[0], 0x30, "VAR_BINARY lengths");
        assert_eq!(dict[0], 0x22, "STRING offsets");
    }
}
