//! A small fixed-capacity bit set over dense ids: markings, running and
//! arrived transitions. Hashable and ordered so that states can be stored in
//! hash tables by the verifier.

use serde::{Deserialize, Serialize};

/// A set of indices below a fixed capacity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BitSet {
    words: Vec<u64>,
}

impl BitSet {
    /// An empty set able to hold indices `0..capacity`.
    pub fn with_capacity(capacity: usize) -> BitSet {
        BitSet {
            words: vec![0; capacity.div_ceil(64)],
        }
    }

    /// Whether `i` is in the set (`false` beyond the capacity).
    pub fn contains(&self, i: usize) -> bool {
        self.words
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// Adds `i`; returns whether it was absent. Grows the set if needed.
    pub fn insert(&mut self, i: usize) -> bool {
        if i / 64 >= self.words.len() {
            self.words.resize(i / 64 + 1, 0);
        }
        let word = &mut self.words[i / 64];
        let absent = *word & (1 << (i % 64)) == 0;
        *word |= 1 << (i % 64);
        absent
    }

    /// Removes `i`; returns whether it was present.
    pub fn remove(&mut self, i: usize) -> bool {
        match self.words.get_mut(i / 64) {
            Some(word) => {
                let present = *word & (1 << (i % 64)) != 0;
                *word &= !(1 << (i % 64));
                present
            }
            None => false,
        }
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    /// The members, in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(wi, &w)| {
            let mut bits = w;
            std::iter::from_fn(move || {
                if bits == 0 {
                    return None;
                }
                let b = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                Some(wi * 64 + b)
            })
        })
    }

    /// The number of members.
    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::BitSet;

    #[test]
    fn insert_remove_iterate() {
        let mut s = BitSet::with_capacity(70);
        assert!(s.insert(3));
        assert!(!s.insert(3));
        assert!(s.insert(69));
        assert!(s.insert(130));
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![3, 69, 130]);
        assert!(s.remove(69));
        assert!(!s.remove(69));
        assert_eq!(s.len(), 2);
        assert!(s.contains(130) && !s.contains(4) && !s.contains(1000));
    }
}
