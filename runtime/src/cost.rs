//! Durations in time units, exact to a thousandth.
//!
//! Costs are written as decimals (`3`, `77.7`) and added along paths; storing
//! them as integer thousandths keeps makespans exact, so the simulator's
//! makespan can be compared with the longest path for equality.

use std::fmt;
use std::ops::Add;

use serde::{Deserialize, Serialize};

/// A duration in thousandths of a time unit.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct Cost(pub u64);

impl Cost {
    /// Zero time.
    pub const ZERO: Cost = Cost(0);

    /// `units` whole time units.
    pub fn units(units: u64) -> Cost {
        Cost(units.saturating_mul(1000))
    }

    /// Parses a literal such as `3`, `0.5` or `77.75`. At most three decimals;
    /// `None` for anything else or for a value too large to represent.
    pub fn parse(text: &str) -> Option<Cost> {
        let (whole, frac) = match text.split_once('.') {
            Some((_, "")) => return None,
            Some((w, f)) => (w, f),
            None => (text, ""),
        };
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 3
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let whole: u64 = whole.parse().ok()?;
        let mut thousandths = 0u64;
        for (i, b) in frac.bytes().enumerate() {
            thousandths += u64::from(b - b'0') * 10u64.pow(2 - i as u32);
        }
        whole.checked_mul(1000)?.checked_add(thousandths).map(Cost)
    }

    /// The duration as a float number of units (for display and JSON).
    pub fn as_units_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

impl Add for Cost {
    type Output = Cost;
    fn add(self, rhs: Cost) -> Cost {
        Cost(self.0.saturating_add(rhs.0))
    }
}

impl fmt::Display for Cost {
    /// Whole units print without decimals; others with as few as needed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / 1000;
        let frac = self.0 % 1000;
        if frac == 0 {
            write!(f, "{whole}")
        } else {
            let digits = format!("{frac:03}");
            write!(f, "{whole}.{}", digits.trim_end_matches('0'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cost;

    #[test]
    fn parses_and_prints_decimals() {
        for (text, thousandths, shown) in [
            ("3", 3000, "3"),
            ("0", 0, "0"),
            ("77.7", 77_700, "77.7"),
            ("0.125", 125, "0.125"),
            ("1.50", 1500, "1.5"),
        ] {
            let cost = Cost::parse(text).unwrap();
            assert_eq!(cost.0, thousandths, "{text}");
            assert_eq!(cost.to_string(), shown, "{text}");
        }
        for bad in [
            "",
            ".5",
            "1.",
            "1.2345",
            "-1",
            "1e3",
            "99999999999999999999",
        ] {
            assert_eq!(Cost::parse(bad), None, "{bad}");
        }
    }
}
