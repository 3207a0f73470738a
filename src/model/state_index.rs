//! Every download's state, indexed so that the table can find its rows
//! without looking at every download: how many are in each state, which is
//! the k-th row of a filter, and where a given download's row is. Each
//! answer costs O(log n), so a million rows cost a key press no more than
//! ten do.
//!
//! A Fenwick tree (binary indexed tree) over blocks of [`BLOCK`] downloads
//! keeps per-state counts of each block; within a block the states are read
//! directly. That is about a byte and a half per download.

use super::State;

/// Downloads per block of the tree.
const BLOCK: usize = 64;
/// How many states there are.
pub const STATES: usize = 9;

/// A set of states, one bit per [`State::rank`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateSet(u16);

impl StateSet {
    pub const ALL: StateSet = StateSet(u16::MAX);
    /// Receiving, transforming, connecting, retrying and queued: the ranks
    /// below 5.
    pub const NOT_FINAL: StateSet = StateSet(0b1_1111);

    pub fn of(states: &[State]) -> StateSet {
        StateSet(states.iter().fold(0, |bits, s| bits | 1 << s.rank()))
    }

    pub fn only(state: State) -> StateSet {
        StateSet(1 << state.rank())
    }

    pub fn contains(self, state: State) -> bool {
        self.0 & (1 << state.rank()) != 0
    }

    fn has_rank(self, rank: usize) -> bool {
        self.0 & (1 << rank) != 0
    }

    fn sum(self, counts: &[u32; STATES]) -> usize {
        (0..STATES)
            .filter(|&rank| self.has_rank(rank))
            .map(|rank| counts[rank] as usize)
            .sum()
    }
}

#[derive(Debug, Clone, Default)]
pub struct StateIndex {
    states: Vec<State>,
    /// Downloads in each state, by rank.
    counts: [usize; STATES],
    /// Fenwick tree over blocks: node `i` (1-based) holds the per-state
    /// counts of blocks `i - lowbit(i) + 1 ..= i`.
    tree: Vec<[u32; STATES]>,
}

fn lowbit(i: usize) -> usize {
    i & i.wrapping_neg()
}

impl StateIndex {
    pub fn len(&self) -> usize {
        self.states.len()
    }

    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    pub fn state(&self, index: usize) -> Option<State> {
        self.states.get(index).copied()
    }

    /// Downloads in `state`.
    pub fn count(&self, state: State) -> usize {
        self.counts[state.rank()]
    }

    /// Downloads in any state of `set`.
    pub fn count_in(&self, set: StateSet) -> usize {
        (0..STATES)
            .filter(|&rank| set.has_rank(rank))
            .map(|rank| self.counts[rank])
            .sum()
    }

    pub fn reserve(&mut self, more: usize) {
        self.states.reserve_exact(more);
        self.tree.reserve_exact(more.div_ceil(BLOCK));
    }

    /// A new download at the end.
    pub fn push(&mut self, state: State) {
        let index = self.states.len();
        self.states.push(state);
        if index.is_multiple_of(BLOCK) {
            // A new block: its node covers some earlier nodes too, whose
            // counts it starts from.
            let node = self.tree.len() + 1;
            let mut counts = [0u32; STATES];
            let mut step = 1;
            while step < lowbit(node) {
                let child = self.tree[node - step - 1];
                for (total, part) in counts.iter_mut().zip(child) {
                    *total += part;
                }
                step <<= 1;
            }
            self.tree.push(counts);
        }
        self.add(index / BLOCK, state, 1);
        self.counts[state.rank()] += 1;
    }

    /// Download `index` is now in `state`.
    pub fn set(&mut self, index: usize, state: State) {
        let Some(&old) = self.states.get(index) else {
            return;
        };
        if old == state {
            return;
        }
        self.states[index] = state;
        self.add(index / BLOCK, old, -1);
        self.add(index / BLOCK, state, 1);
        self.counts[old.rank()] -= 1;
        self.counts[state.rank()] += 1;
    }

    fn add(&mut self, block: usize, state: State, delta: i32) {
        let mut node = block + 1;
        while node <= self.tree.len() {
            let count = &mut self.tree[node - 1][state.rank()];
            *count = count.wrapping_add_signed(delta);
            node += lowbit(node);
        }
    }

    /// How many downloads before `index` are in `set`.
    pub fn rank(&self, set: StateSet, index: usize) -> usize {
        let index = index.min(self.states.len());
        let block = index / BLOCK;
        let mut before = 0;
        let mut node = block;
        while node > 0 {
            before += set.sum(&self.tree[node - 1]);
            node -= lowbit(node);
        }
        before
            + self.states[block * BLOCK..index]
                .iter()
                .filter(|&&s| set.contains(s))
                .count()
    }

    /// The index of the `k`-th (0-based) download in `set`, in list order.
    pub fn select(&self, set: StateSet, k: usize) -> Option<usize> {
        let blocks = self.tree.len();
        let mut node = 0;
        let mut left = k;
        let mut step = blocks.checked_ilog2().map_or(0, |log| 1 << log);
        while step > 0 {
            if node + step <= blocks {
                let inside = set.sum(&self.tree[node + step - 1]);
                if inside <= left {
                    node += step;
                    left -= inside;
                }
            }
            step >>= 1;
        }
        // Block `node` holds it, if anything does.
        let start = node * BLOCK;
        let end = self.states.len().min(start + BLOCK);
        self.states
            .get(start..end)?
            .iter()
            .enumerate()
            .filter(|&(_, &s)| set.contains(s))
            .nth(left)
            .map(|(i, _)| start + i)
    }

    /// Rows ordered by state (its rank), then by list order: the `k`-th.
    pub fn select_by_state(&self, set: StateSet, k: usize) -> Option<usize> {
        let mut left = k;
        for rank in (0..STATES).filter(|&rank| set.has_rank(rank)) {
            if left < self.counts[rank] {
                return self.select(StateSet(1 << rank), left);
            }
            left -= self.counts[rank];
        }
        None
    }

    /// Where download `index` is among rows ordered by state, then list
    /// order; `None` when its state is not in `set`.
    pub fn position_by_state(&self, set: StateSet, index: usize) -> Option<usize> {
        let state = self.state(index)?;
        if !set.contains(state) {
            return None;
        }
        let before: usize = (0..state.rank())
            .filter(|&rank| set.has_rank(rank))
            .map(|rank| self.counts[rank])
            .sum();
        Some(before + self.rank(StateSet::only(state), index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVERY: [State; STATES] = [
        State::Queued,
        State::Connecting,
        State::Receiving,
        State::Transforming,
        State::Complete,
        State::Empty,
        State::Failed,
        State::Cancelled,
        State::Retrying,
    ];

    /// Rank, select and counts agree with a plain scan, for lists that end
    /// inside a block and on its edge, after random changes.
    #[test]
    fn agrees_with_a_scan() {
        fastrand::seed(7);
        for len in [0, 1, 63, 64, 65, 200, 1000] {
            let mut index = StateIndex::default();
            let mut states = Vec::new();
            for _ in 0..len {
                let state = EVERY[fastrand::usize(..STATES)];
                index.push(state);
                states.push(state);
            }
            for _ in 0..len * 2 {
                let at = fastrand::usize(..len.max(1));
                let state = EVERY[fastrand::usize(..STATES)];
                if at < len {
                    index.set(at, state);
                    states[at] = state;
                }
            }
            for set in [
                StateSet::ALL,
                StateSet::of(&[State::Queued]),
                StateSet::of(&[State::Failed, State::Cancelled]),
                StateSet::of(&[State::Complete, State::Empty, State::Receiving]),
            ] {
                let rows: Vec<usize> = (0..len).filter(|&i| set.contains(states[i])).collect();
                assert_eq!(index.count_in(set), rows.len());
                for (k, &row) in rows.iter().enumerate() {
                    assert_eq!(index.select(set, k), Some(row), "len {len} k {k}");
                    assert_eq!(index.rank(set, row), k);
                }
                assert_eq!(index.select(set, rows.len()), None);
                let mut by_state = rows.clone();
                by_state.sort_by_key(|&i| (states[i].rank(), i));
                for (k, &row) in by_state.iter().enumerate() {
                    assert_eq!(index.select_by_state(set, k), Some(row));
                    assert_eq!(index.position_by_state(set, row), Some(k));
                }
            }
        }
    }
}
