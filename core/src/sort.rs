//! Stable sorting through one shared copy of the standard library's sort.
//!
//! `slice::sort_by` is generic over the element and the comparison, so every call site compiles
//! its own copy of the whole sort (about 2.5 KB of WebAssembly each; twenty-odd copies were in the
//! browser page). Here the standard stable sort runs in one place, on indices with a `dyn`
//! comparison, and each call site adds only a small permutation step. The result is exactly
//! `sort_by`'s: stable, ordered by the same comparison.
//!
//! The same holds for collecting into a `BTreeMap` or `BTreeSet`: `collect` sorts the items first,
//! with a sort compiled for each iterator type. Code that the page runs builds those maps with
//! `extend` (one `insert` per item, code every map already has) instead.
//!
//! Public API: [`sort_by`]`(items, compare)`, [`sort_by_key`]`(items, key)`, [`sort`]`(items)`.

use std::cmp::Ordering;

/// `items.sort_by(compare)`.
pub fn sort_by<T>(items: &mut [T], compare: impl Fn(&T, &T) -> Ordering) {
    if items.len() < 2 {
        return;
    }
    let order = sorted_order(items.len(), &|a, b| match (items.get(a), items.get(b)) {
        (Some(x), Some(y)) => compare(x, y),
        _ => Ordering::Equal,
    });
    permute(items, order);
}

/// `items.sort_by_key(key)`.
pub fn sort_by_key<T, K: Ord>(items: &mut [T], key: impl Fn(&T) -> K) {
    sort_by(items, |a, b| key(a).cmp(&key(b)));
}

/// `items.sort()`.
pub fn sort<T: Ord>(items: &mut [T]) {
    sort_by(items, T::cmp);
}

/// The indices `0..len` in the order `compare` sorts them, stably: the one place the standard
/// sort is instantiated.
#[inline(never)]
fn sorted_order(len: usize, compare: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}

/// Moves `items[order[i]]` to position `i` for every `i`, one permutation cycle at a time.
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    for start in 0..order.len() {
        let mut current = start;
        loop {
            let Some(next) = order.get(current).copied() else {
                break;
            };
            // Marks the position as done, so later cycles skip it.
            if let Some(slot) = order.get_mut(current) {
                *slot = current;
            }
            if next == start || next == current {
                break;
            }
            // Position `current` holds the element that started at `start`; swap in the one that
            // belongs here.
            items.swap(current, next);
            current = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ties_keep_their_order() {
        let mut v = vec![(2, 'a'), (1, 'b'), (2, 'c'), (1, 'd'), (0, 'e')];
        sort_by_key(&mut v, |p| p.0);
        assert_eq!(v, [(0, 'e'), (1, 'b'), (1, 'd'), (2, 'a'), (2, 'c')]);
    }

    proptest! {
        #[test]
        fn matches_the_standard_stable_sort(v in proptest::collection::vec((0u8..8, any::<u16>()), 0..200)) {
            let mut want = v.clone();
            want.sort_by_key(|p| p.0);
            let mut got = v.clone();
            sort_by_key(&mut got, |p| p.0);
            prop_assert_eq!(&got, &want);

            let mut want = v.clone();
            want.sort();
            let mut got = v;
            sort(&mut got);
            prop_assert_eq!(got, want);
        }
    }
}
