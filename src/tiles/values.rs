//! A prepared layer's attribute values, compact: a feature's
//! [`PropValue`]s in, [`Attr`]s of 12 bytes out (a `(key, PropValue)` pair
//! took 40), each distinct string stored once in the layer's [`Strings`]
//! (a national layer repeats each borough and ward name thousands of
//! times). [`Attr::tag`] gives back the value the tile writers take.

use rustc_hash::FxHashMap;

use super::PropValue;
use super::mvt_layer::TagValue;

/// What an [`Attr`]'s bits hold; the discriminant is what
/// [`Attr::key_kind`] keeps in its top bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
enum Kind {
    /// An index into [`Strings`].
    Str = 0,
    /// An `f64`'s bits.
    Num = 1,
    /// An `i64`.
    Int = 2,
    /// 0 or 1.
    Bool = 3,
}

/// One attribute of a prepared feature: its key index and its value, in
/// 12 bytes (the value's 64 bits as two halves, so the struct aligns to
/// 4; the kind in the key's top two bits). England and Wales holds 1.6
/// million of them for as long as it is served: 16 bytes each was 6 MB more.
#[derive(Clone, Copy, Debug)]
pub(super) struct Attr {
    bits: [u32; 2],
    key_kind: u32,
}

/// Bits of [`Attr::key_kind`] below the kind.
const KIND_SHIFT: u32 = 30;

/// A layer's distinct string values, by index.
#[derive(Debug, Default)]
pub(super) struct Strings(Vec<Box<str>>);

/// Builds a layer's [`Strings`] while its attributes are converted. FxHash,
/// as the strings come from the dataset, not from a client.
#[derive(Default)]
pub(super) struct StringsBuilder(FxHashMap<Box<str>, u32>);

impl StringsBuilder {
    /// The layer's strings, each at the index its attributes hold.
    pub(super) fn finish(self) -> Strings {
        let mut list: Vec<(u32, Box<str>)> = self.0.into_iter().map(|(s, i)| (i, s)).collect();
        list.sort_unstable_by_key(|(i, _)| *i);
        Strings(list.into_iter().map(|(_, s)| s).collect())
    }
}

impl Attr {
    /// The attribute `key` = `value`; `None` past 2^30 keys or 2^32
    /// distinct strings.
    pub(super) fn new(key: u32, value: PropValue, strings: &mut StringsBuilder) -> Option<Attr> {
        if key >= 1 << KIND_SHIFT {
            return None;
        }
        let (kind, bits) = match value {
            PropValue::Str(s) => {
                let next = u32::try_from(strings.0.len()).ok()?;
                (
                    Kind::Str,
                    u64::from(*strings.0.entry(s.into()).or_insert(next)),
                )
            }
            PropValue::Num(x) => (Kind::Num, x.to_bits()),
            PropValue::Int(i) => (Kind::Int, i as u64),
            PropValue::Bool(b) => (Kind::Bool, u64::from(b)),
        };
        Some(Attr {
            bits: [bits as u32, (bits >> 32) as u32],
            key_kind: key | (kind as u32) << KIND_SHIFT,
        })
    }

    /// The key's index in the layer.
    pub(super) fn key(&self) -> usize {
        (self.key_kind & ((1 << KIND_SHIFT) - 1)) as usize
    }

    fn kind(&self) -> Kind {
        match self.key_kind >> KIND_SHIFT {
            0 => Kind::Str,
            1 => Kind::Num,
            2 => Kind::Int,
            _ => Kind::Bool,
        }
    }

    fn bits(&self) -> u64 {
        u64::from(self.bits[0]) | u64::from(self.bits[1]) << 32
    }

    /// The value as a tile tag; `None` for a number that is not finite
    /// (MVT has no way to write it).
    pub(super) fn tag<'a>(&self, strings: &'a Strings) -> Option<TagValue<'a>> {
        let bits = self.bits();
        Some(match self.kind() {
            Kind::Str => TagValue::Str(strings.0.get(usize::try_from(bits).ok()?)?),
            Kind::Num => {
                let x = f64::from_bits(bits);
                if !x.is_finite() {
                    return None;
                }
                TagValue::Double(x)
            }
            Kind::Int => TagValue::Sint(bits as i64),
            Kind::Bool => TagValue::Bool(bits != 0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_back_as_they_went_in_and_strings_are_stored_once() {
        let values = [
            PropValue::Str("Camden".into()),
            PropValue::Num(-0.0),
            PropValue::Num(1.25),
            PropValue::Num(f64::NAN),
            PropValue::Int(-7),
            PropValue::Int(i64::MAX),
            PropValue::Bool(true),
            PropValue::Bool(false),
            PropValue::Str("Camden".into()),
            PropValue::Str(String::new()),
        ];
        let mut b = StringsBuilder::default();
        let attrs: Vec<Attr> = values
            .iter()
            .enumerate()
            .map(|(k, v)| Attr::new(k as u32, v.clone(), &mut b).unwrap())
            .collect();
        let strings = b.finish();
        assert_eq!(strings.0.len(), 2, "Camden once, and the empty string");
        assert_eq!(std::mem::size_of::<Attr>(), 12);
        let mut spare = StringsBuilder::default();
        assert!(Attr::new(1 << KIND_SHIFT, PropValue::Bool(true), &mut spare).is_none());
        assert_eq!(
            Attr::new((1 << KIND_SHIFT) - 1, PropValue::Bool(true), &mut spare)
                .unwrap()
                .key(),
            (1 << KIND_SHIFT) - 1
        );
        for (k, (a, v)) in attrs.iter().zip(&values).enumerate() {
            assert_eq!(a.key(), k);
            let got = a.tag(&strings);
            match (v, got) {
                (PropValue::Str(s), Some(TagValue::Str(t))) => assert_eq!(s, t),
                (PropValue::Num(x), Some(TagValue::Double(y))) => {
                    assert_eq!(x.to_bits(), y.to_bits())
                }
                (PropValue::Num(x), None) => assert!(!x.is_finite()),
                (PropValue::Int(i), Some(TagValue::Sint(j))) => assert_eq!(*i, j),
                (PropValue::Bool(p), Some(TagValue::Bool(q))) => assert_eq!(*p, q),
                (v, got) => panic!("{v:?} came back as {got:?}"),
            }
        }
    }
}
