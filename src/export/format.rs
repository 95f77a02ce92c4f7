//! Stable number formatting for text exports.
//!
//! A number is rounded to a fixed number of decimal places (a field's, from
//! [`crate::schema`], by its one [`round`]) and then written
//! in the shortest form that reads back to the rounded value (Rust's `f64`
//! `Display`, which never uses exponents), so the same value always gives the
//! same bytes: `0.30000000000000004` at 6 places is `0.3`, `3.0` is `3`, and
//! `-0` is `0`.

use std::fmt::Write;

pub use crate::schema::{COORD_DECIMALS, round};

/// Appends `x` rounded to `decimals` places; non-finite values become `null`
/// (never produced by the pipeline, which stores missing values as `None`).
pub fn push_num(out: &mut String, x: f64, decimals: u8) {
    if !x.is_finite() {
        out.push_str("null");
        return;
    }
    let r = round(x, decimals);
    // Writing to a String cannot fail.
    let _ = write!(out, "{r}");
}

/// `x` formatted as by [`push_num`].
pub fn num(x: f64, decimals: u8) -> String {
    let mut s = String::new();
    push_num(&mut s, x, decimals);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_then_writes_shortest_form() {
        assert_eq!(num(0.1 + 0.2, 6), "0.3");
        assert_eq!(num(3.0, 6), "3");
        assert_eq!(num(-0.0000001, 6), "0");
        assert_eq!(num(-0.12345678, 6), "-0.123457");
        assert_eq!(num(51.5000004, 6), "51.5");
        assert_eq!(num(123456789.0, 9), "123456789");
        assert_eq!(num(1e20, 9), "100000000000000000000");
        assert_eq!(num(f64::NAN, 6), "null");
    }
}
