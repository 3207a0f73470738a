//! The clocks every limit is measured on, and what holds them still.
//!
//! Two things stop a download's clocks: the person pausing it (`space`), and
//! the whole process being stopped (`Ctrl-Z`). Neither may make a download
//! fail, and neither may reset a clock: each goes on from where it stopped.
//!
//! Rather than moving every deadline when the process comes back (racy: at
//! `SIGCONT` every overdue timer fires at once, before anyone has said how
//! long the stop was), the engine measures on a *process clock* that does
//! not advance while the process is frozen. Every deadline, backoff and idle
//! limit is an instant on that clock; a timer is armed at the wall-clock
//! instant that corresponds to it, and only while nothing is frozen. A
//! pause is then only the download's own business: it adds the time it
//! lasted, on the process clock (so a Ctrl-Z during a pause is not counted
//! twice), to the clocks of that one download.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::Poll;
use std::time::Duration;

use futures_util::task::AtomicWaker;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::event::TaskId;

/// Shared by the supervisor and every attempt: the process clock (is the
/// process frozen, and for how long has it been in all) and the board of
/// running downloads the person has paused. One board for all. Attempts do
/// not listen to it: the supervisor, who changes it (or hears of a freeze),
/// nudges the attempts it concerns through their [`AttemptLink`]s, and they
/// look. (Listening would be a registration per attempt, and a lock at
/// every read.)
#[derive(Debug, Default)]
pub(crate) struct PauseBoard {
    paused: std::sync::Mutex<HashSet<TaskId>>,
    /// Since when the process has been frozen, while it is.
    frozen_since: std::sync::Mutex<Option<Instant>>,
    /// All the time the process was frozen, in nanoseconds (ended freezes).
    frozen_total: AtomicU64,
    /// Freezes begun and ended: an attempt that sees it moved since its
    /// last look reads the process clock again.
    freezes: AtomicU64,
    changed: watch::Sender<()>,
}

/// The process clock as one reader saw it: whether it stands still, and
/// how far it is behind the wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ProcessTime {
    frozen_since: Option<Instant>,
    behind: Duration,
}

impl ProcessTime {
    /// Now, on the process clock: the wall clock less every ended freeze,
    /// standing still during one.
    pub(crate) fn now(&self) -> Instant {
        let wall = self.frozen_since.unwrap_or_else(Instant::now);
        wall.checked_sub(self.behind).unwrap_or(wall)
    }

    pub(crate) fn is_frozen(&self) -> bool {
        self.frozen_since.is_some()
    }

    /// When, on the wall clock, the process clock reaches `at`; `None`
    /// while frozen (it does not move, so no timer should be armed).
    pub(crate) fn wall(&self, at: Instant) -> Option<Instant> {
        match self.frozen_since {
            Some(_) => None,
            None => Some(at + self.behind),
        }
    }
}

impl PauseBoard {
    /// Begins or ends a freeze of the whole process; at its end, returns
    /// how long it lasted.
    pub(crate) fn freeze(&self, frozen: bool) -> Option<Duration> {
        let mut since = lock(&self.frozen_since);
        let lasted = match (frozen, *since) {
            (true, None) => {
                *since = Some(Instant::now());
                None
            }
            (false, Some(at)) => {
                let lasted = at.elapsed();
                let nanos = u64::try_from(lasted.as_nanos()).unwrap_or(u64::MAX);
                // Added before the freeze is over, under the same lock:
                // nobody reads a clock that jumped forward.
                self.frozen_total.fetch_add(nanos, Ordering::SeqCst);
                *since = None;
                Some(lasted)
            }
            _ => return None,
        };
        self.freezes.fetch_add(1, Ordering::SeqCst);
        drop(since);
        self.changed.send_replace(());
        lasted
    }

    /// The process clock, read now.
    pub(crate) fn process_time(&self) -> ProcessTime {
        let since = lock(&self.frozen_since);
        ProcessTime {
            frozen_since: *since,
            behind: Duration::from_nanos(self.frozen_total.load(Ordering::SeqCst)),
        }
    }

    /// Marks `task` paused or not. Only the supervisor does, and it nudges
    /// the attempt itself: nobody else is told.
    pub(crate) fn set_paused(&self, task: TaskId, paused: bool) {
        let mut board = lock(&self.paused);
        if paused {
            board.insert(task);
        } else {
            board.remove(&task);
        }
    }

    pub(crate) fn is_paused(&self, task: TaskId) -> bool {
        lock(&self.paused).contains(&task)
    }

    /// Hears of every freeze begun or ended (the supervisor, which nudges
    /// the running attempts and arms its backoff timers again).
    pub(crate) fn subscribe(&self) -> watch::Receiver<()> {
        self.changed.subscribe()
    }

    /// How many freezes have begun or ended so far.
    pub(crate) fn freezes(&self) -> u64 {
        self.freezes.load(Ordering::SeqCst)
    }

    /// What one attempt of `task` holds on to, nudged through `link`.
    pub(crate) fn hold(self: &Arc<Self>, task: TaskId, link: Arc<AttemptLink>) -> Hold {
        Hold {
            board: Arc::clone(self),
            link,
            freezes_seen: self.freezes(),
            task,
        }
    }
}

/// The supervisor's line to one running attempt: the token that cancels
/// it, and a nudge that says "look" (it was cancelled, paused or resumed,
/// or the process froze or thawed). A nudge is a flag and a waker: the
/// attempt's read loop checks it with one atomic swap, no lock, and looks
/// at the token and the board only when nudged.
#[derive(Debug, Default)]
pub(crate) struct AttemptLink {
    token: CancellationToken,
    nudged: AtomicBool,
    waker: AtomicWaker,
}

impl AttemptLink {
    /// The attempt's cancellation token (the transform steps wait on it).
    pub(crate) fn token(&self) -> &CancellationToken {
        &self.token
    }

    /// Cancels the attempt, and nudges it to see so.
    pub(crate) fn cancel(&self) {
        self.token.cancel();
        self.nudge();
    }

    /// Tells the attempt to look at the board.
    pub(crate) fn nudge(&self) {
        self.nudged.store(true, Ordering::SeqCst);
        self.waker.wake();
    }

    /// Ready once after each nudge.
    fn poll_nudged(&self, cx: &mut std::task::Context<'_>) -> Poll<()> {
        if self.nudged.swap(false, Ordering::SeqCst) {
            return Poll::Ready(());
        }
        self.waker.register(cx.waker());
        // A nudge between the look and the registration is not lost.
        if self.nudged.swap(false, Ordering::SeqCst) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// What one attempt watches: whether its download is paused, the process
/// clock, and its link to the supervisor, which nudges it when either
/// changes.
pub(crate) struct Hold {
    board: Arc<PauseBoard>,
    link: Arc<AttemptLink>,
    /// The board's freeze count when this attempt last looked.
    freezes_seen: u64,
    task: TaskId,
}

impl Hold {
    /// Now, on the process clock.
    pub(crate) fn process_now(&self) -> Instant {
        self.board.process_time().now()
    }

    /// Resolves at the supervisor's next nudge, or as soon as the process
    /// froze or thawed since the last look. The supervisor's nudge wakes
    /// an attempt that sleeps; the count is read at every turn because a
    /// nudge can come late: an attempt polled between `fg` and its nudge
    /// (its timer fired meanwhile) must not measure on the clock from
    /// before the stop, or it counts the stop against its limits. (One
    /// atomic load a turn, of a word written only at Ctrl-Z and `fg`.)
    async fn changed(&mut self) {
        std::future::poll_fn(|cx| {
            let freezes = self.board.freezes();
            if freezes != self.freezes_seen {
                self.freezes_seen = freezes;
                return Poll::Ready(());
            }
            self.link.poll_nudged(cx)
        })
        .await
    }
}

/// One attempt's view of its clocks. Every instant it hands out is on the
/// process clock; a pause ended is reported with how long it lasted on that
/// clock, and the attempt moves its own clocks by it.
pub(crate) struct AttemptClock<'h> {
    hold: Option<&'h mut Hold>,
    time: ProcessTime,
    /// Since when (process clock) the download has been paused, while it is.
    paused_since: Option<Instant>,
}

/// What changed on a look at the board.
pub(crate) enum Change {
    /// The download was paused just now.
    Paused,
    /// A pause ended; it lasted this long on the process clock.
    Resumed(Duration),
    /// Something else (a freeze began or ended, another download): timers
    /// are to be armed again, nothing moves.
    Other,
}

impl<'h> AttemptClock<'h> {
    /// Without a hold (a lone [`get_poem`](super::get_poem)), the process
    /// clock is the wall clock and nothing pauses.
    pub(crate) fn new(hold: Option<&'h mut Hold>) -> Self {
        let mut clock = AttemptClock {
            hold,
            time: ProcessTime::default(),
            paused_since: None,
        };
        clock.time = clock.read_time();
        if clock.board_says_paused() {
            clock.paused_since = Some(clock.time.now());
        }
        clock
    }

    fn read_time(&self) -> ProcessTime {
        self.hold
            .as_deref()
            .map_or_else(ProcessTime::default, |hold| hold.board.process_time())
    }

    fn board_says_paused(&self) -> bool {
        self.hold
            .as_deref()
            .is_some_and(|hold| hold.board.is_paused(hold.task))
    }

    pub(crate) fn now(&self) -> Instant {
        self.time.now()
    }

    /// Whether the supervisor cancelled this attempt (it nudges it then, so
    /// this is looked at after [`AttemptClock::changed`]). Without a hold
    /// nothing cancels it.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.hold
            .as_deref()
            .is_some_and(|hold| hold.link.token.is_cancelled())
    }

    /// Paused, or the process frozen: nothing is read and no limit fires.
    pub(crate) fn is_held(&self) -> bool {
        self.paused_since.is_some() || self.time.is_frozen()
    }

    /// The wall-clock instant for a timer that fires when the process clock
    /// reaches `at`; `None` while held (no limit counts then).
    pub(crate) fn timer_for(&self, at: Instant) -> Option<Instant> {
        if self.is_held() {
            None
        } else {
            self.time.wall(at)
        }
    }

    /// How long the download has been paused, if it still is; the pause
    /// is over for this attempt from here (it is credited to it).
    pub(crate) fn paused_so_far(&mut self) -> Option<Duration> {
        let since = self.paused_since.take()?;
        self.time = self.read_time();
        Some(self.time.now().saturating_duration_since(since))
    }

    /// Resolves when the board changes for this attempt (never without a
    /// hold).
    pub(crate) async fn changed(&mut self) {
        match self.hold.as_deref_mut() {
            Some(hold) => hold.changed().await,
            None => std::future::pending::<()>().await,
        }
    }

    /// Looks at the board after [`AttemptClock::changed`].
    pub(crate) fn update(&mut self) -> Change {
        self.time = self.read_time();
        match (self.board_says_paused(), self.paused_since) {
            (true, None) => {
                self.paused_since = Some(self.time.now());
                Change::Paused
            }
            (false, Some(since)) => {
                self.paused_since = None;
                Change::Resumed(self.time.now().saturating_duration_since(since))
            }
            _ => Change::Other,
        }
    }
}

/// Sleeps until `at`, or for ever when there is no `at`.
pub(crate) async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_process_clock_stands_still_while_frozen_and_keeps_its_place_after() {
        let board = PauseBoard::default();
        let start = board.process_time().now();
        tokio::time::advance(Duration::from_secs(2)).await;
        board.freeze(true);
        tokio::time::advance(Duration::from_secs(5)).await;
        let frozen = board.process_time();
        assert!(frozen.is_frozen());
        assert_eq!(frozen.now() - start, Duration::from_secs(2));
        assert_eq!(frozen.wall(start + Duration::from_secs(3)), None);
        assert_eq!(board.freeze(false), Some(Duration::from_secs(5)));
        tokio::time::advance(Duration::from_secs(1)).await;
        let time = board.process_time();
        assert_eq!(time.now() - start, Duration::from_secs(3));
        // A limit 4 s into the run fires 5 s (the freeze) later on the wall.
        assert_eq!(
            time.wall(start + Duration::from_secs(4)),
            Some(start + Duration::from_secs(9))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_is_measured_on_the_process_clock_so_a_freeze_inside_it_counts_once() {
        let board = Arc::new(PauseBoard::default());
        let task = TaskId::at(0);
        let mut hold = board.hold(task, Arc::default());
        let mut clock = AttemptClock::new(Some(&mut hold));
        board.set_paused(task, true);
        assert!(matches!(clock.update(), Change::Paused));
        tokio::time::advance(Duration::from_secs(1)).await;
        board.freeze(true);
        tokio::time::advance(Duration::from_secs(4)).await;
        board.freeze(false);
        assert!(matches!(clock.update(), Change::Other));
        tokio::time::advance(Duration::from_secs(2)).await;
        board.set_paused(task, false);
        let Change::Resumed(lasted) = clock.update() else {
            panic!("not resumed");
        };
        // Seven seconds on the wall, four of them frozen: three paused.
        assert_eq!(lasted, Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn an_attempt_sees_a_freeze_and_a_thaw_at_its_next_turn_before_any_nudge() {
        use futures_util::FutureExt;
        let board = Arc::new(PauseBoard::default());
        let link = Arc::new(AttemptLink::default());
        let mut hold = board.hold(TaskId::at(0), Arc::clone(&link));
        let mut clock = AttemptClock::new(Some(&mut hold));
        assert!(clock.changed().now_or_never().is_none(), "nothing changed");
        board.freeze(true);
        // Nobody nudged it: the freeze itself is seen.
        assert!(clock.changed().now_or_never().is_some(), "the freeze");
        clock.update();
        assert!(clock.is_held());
        assert!(clock.changed().now_or_never().is_none(), "seen once");
        tokio::time::advance(Duration::from_secs(3)).await;
        board.freeze(false);
        assert!(clock.changed().now_or_never().is_some(), "the thaw");
        clock.update();
        assert!(!clock.is_held());
        link.nudge();
        assert!(clock.changed().now_or_never().is_some(), "a nudge");
        assert!(clock.changed().now_or_never().is_none(), "once");
    }

    #[tokio::test(start_paused = true)]
    async fn an_attempt_that_ends_paused_hands_over_the_pause_so_far_once() {
        let board = Arc::new(PauseBoard::default());
        let task = TaskId::at(0);
        let mut hold = board.hold(task, Arc::default());
        let mut clock = AttemptClock::new(Some(&mut hold));
        assert_eq!(clock.paused_so_far(), None, "not paused");
        board.set_paused(task, true);
        clock.update();
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(clock.paused_so_far(), Some(Duration::from_secs(2)));
        assert_eq!(clock.paused_so_far(), None, "credited once");
    }
}
