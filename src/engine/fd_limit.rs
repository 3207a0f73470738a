//! Each open connection is a file descriptor, and Linux starts processes with
//! a soft limit (often 1024) far below what thousands of downloads or served
//! ports need. We raise the soft limit to the hard limit at start and size
//! our concurrency to what remains.

/// Descriptors kept free for everything that is not a connection: stdio,
/// the runtime's epoll and wakers, the terminal, files written by `--save`.
const RESERVED: u64 = 64;

/// Raises RLIMIT_NOFILE's soft limit to its hard limit and returns the soft
/// limit now in force (or `None` where the platform has no such limit).
pub fn raise_fd_limit() -> Option<u64> {
    rlimit::increase_nofile_limit(u64::MAX).ok()
}

/// How many connections fit under a descriptor limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdBudget {
    pub limit: u64,
}

impl FdBudget {
    /// Connections that can be open at once under this limit.
    pub fn connections(&self) -> usize {
        usize::try_from(self.limit.saturating_sub(RESERVED))
            .unwrap_or(usize::MAX)
            .max(1)
    }

    /// The concurrency to use for `downloads` when `requested` were asked for
    /// (0 = all at once), and whether it had to be lowered to fit.
    pub fn fit(&self, downloads: usize, requested: usize) -> (usize, bool) {
        let wanted = if requested == 0 {
            downloads
        } else {
            requested.min(downloads)
        };
        let allowed = self.connections();
        if wanted > allowed {
            (allowed, true)
        } else {
            (requested, false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowers_concurrency_only_when_it_does_not_fit() {
        let budget = FdBudget { limit: 1024 };
        assert_eq!(budget.fit(100, 0), (0, false));
        assert_eq!(budget.fit(5000, 0), (960, true));
        assert_eq!(budget.fit(5000, 10), (10, false));
        assert_eq!(budget.fit(5000, 2000), (960, true));
    }
}
