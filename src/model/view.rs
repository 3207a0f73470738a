//! What the person looking at the dashboard has chosen: the selected
//! download, sort order, filter, focused pane, scroll positions, popups.
//!
//! Plain data with pure methods, like the rest of the model, so selection,
//! sorting, filtering and scrolling are tested without a terminal. Keys
//! become [`Action`]s; an action may change the view and may produce an
//! engine [`Command`].

use std::rc::Rc;
use std::time::Instant;

use super::{Download, Model, PaneSize, PoemPos, State, StateIndex, StateSet};
use crate::engine::{Command, TaskId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// The order the addresses were given in.
    #[default]
    Given,
    /// Running first, then waiting, then failed, then complete.
    State,
    /// Fastest first.
    Rate,
    /// The lowest average rate over the download first (received bytes over
    /// the time from its first attempt to its end, or to now while it runs);
    /// downloads that have not started last.
    Slowest,
}

impl SortOrder {
    pub fn next(self) -> Self {
        match self {
            SortOrder::Given => SortOrder::State,
            SortOrder::State => SortOrder::Rate,
            SortOrder::Rate => SortOrder::Slowest,
            SortOrder::Slowest => SortOrder::Given,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortOrder::Given => "given",
            SortOrder::State => "state",
            SortOrder::Rate => "rate",
            SortOrder::Slowest => "slowest",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Filter {
    #[default]
    All,
    /// Queued, connecting, receiving or retrying.
    Active,
    /// Complete or empty.
    Complete,
    /// Failed: what the header counts as `✗`.
    Failed,
    /// Cancelled: the header's `⊘`.
    Cancelled,
}

impl Filter {
    pub fn next(self) -> Self {
        match self {
            Filter::All => Filter::Active,
            Filter::Active => Filter::Complete,
            Filter::Complete => Filter::Failed,
            Filter::Failed => Filter::Cancelled,
            Filter::Cancelled => Filter::All,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Filter::All => "all",
            Filter::Active => "active",
            Filter::Complete => "complete",
            Filter::Failed => "failed",
            Filter::Cancelled => "cancelled",
        }
    }

    pub fn accepts(self, state: State) -> bool {
        self.states().contains(state)
    }

    /// The states it shows.
    pub fn states(self) -> StateSet {
        match self {
            Filter::All => StateSet::ALL,
            Filter::Active => StateSet::NOT_FINAL,
            Filter::Complete => StateSet::of(&[State::Complete, State::Empty]),
            Filter::Failed => StateSet::only(State::Failed),
            Filter::Cancelled => StateSet::only(State::Cancelled),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    #[default]
    Table,
    Poem,
    Log,
}

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    First,
    Last,
    PageUp,
    PageDown,
    /// The mouse wheel over a pane: lines to scroll (negative is up).
    Scroll(Focus, i32),
    /// A click on a table row (index into the visible rows).
    ClickRow(usize),
    /// A click on a pane outside the table's rows.
    Focus(Focus),
    FocusNext,
    Retry,
    RetryFailed,
    Cancel,
    CancelAll,
    /// Space: pause the selected download, or resume it.
    TogglePause,
    /// P: pause every download that has not ended, or resume them all.
    TogglePauseAll,
    /// a: the prompt that adds servers.
    OpenAdd,
    /// /: the prompt that finds rows by name or address.
    OpenFind,
    CycleSort,
    CycleFilter,
    ToggleGallery,
    /// o: the poem pane shows the poem as downloaded, or as transformed.
    ToggleOriginal,
    ToggleHelp,
    /// The performance overlay.
    ToggleOverlay,
    /// Esc: back out of whatever is open (a popup, a kept search, a pane's
    /// focus). It never quits.
    Back,
    /// q: close a popup, else quit; while downloads are going, only once
    /// asked again.
    Quit,
    /// y: yes to the question in the footer.
    Confirm,
    /// A key bound to nothing: it answers no to an open question ("any
    /// other key to stay" means any key), and else does nothing.
    Other,
}

/// A question the footer asks before a key throws live downloads away: the
/// same key again (or `y`) says yes, any other key says no.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    /// Quit, cancelling this many downloads that have not ended.
    Quit { going: usize },
    /// Cancel this many downloads that have not ended.
    CancelAll { going: usize },
}

#[derive(Debug, Clone, Default)]
pub struct View {
    pub selected: Option<TaskId>,
    /// Where the selection was in the rows shown, so that when its row
    /// leaves the filter the selection moves to the nearest one.
    pub selected_at: usize,
    /// A one-line message about the last key, and when it was said: it
    /// fades after [`STATUS_FOR`].
    pub status: Option<(String, Instant)>,
    /// The help popup's first line shown, and its lines on screen.
    pub help_scroll: usize,
    pub help_height: usize,
    pub sort: SortOrder,
    pub filter: Filter,
    pub focus: Focus,
    /// The first table row shown.
    pub table_offset: usize,
    /// Table rows that fit on screen (set by `ui::measure`; used for paging).
    pub table_height: usize,
    /// Column widths kept while the terminal's width stays (set by
    /// `ui::measure`).
    pub table_widths: KeptWidths,
    /// The poem pane's first row; `None` follows the poem (its end while it
    /// grows, its start once it is done).
    pub poem_scroll: Option<PoemPos>,
    /// End (or G) in the poem pane: keep showing the poem's end as it grows
    /// (and once it is done), like `less +F`, until the next scroll.
    pub poem_follow: bool,
    /// The poem pane's text area (set by `ui::measure`).
    pub poem_pane: PaneSize,
    /// The generation and attempt the poem pane's scroll belongs to: a new one
    /// (a retry) starts the pane afresh.
    pub poem_shows: Option<(TaskId, u32, u32)>,
    /// Log lines scrolled back from the newest.
    pub log_back: usize,
    pub log_height: usize,
    /// Whether the layout draws the log pane (focus skips it when not).
    pub log_shown: bool,
    pub gallery: bool,
    pub gallery_page: usize,
    /// The downloads on the gallery's page, as last measured (their poems
    /// are indexed before the next frame).
    pub gallery_cards: Vec<TaskId>,
    pub help: bool,
    pub overlay: bool,
    /// The poem pane shows the poem as downloaded, not as its transform
    /// chain left it.
    pub show_original: bool,
    pub quit: bool,
    /// The question the footer is asking, until the next key answers it.
    pub confirm: Option<Confirm>,
    /// The one-line prompt being typed into, if one is open: while it is,
    /// keys edit it instead of steering the dashboard.
    pub prompt: Option<Prompt>,
    /// Rows shown must contain this in their name or address (ignoring
    /// case); empty shows all.
    pub search: String,
    /// The rows by rate or slowest, or searched, as last sorted.
    pub(crate) sorted: Option<SortCache>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    /// Addresses to add, as on the command line.
    Add,
    /// Text to find.
    Find,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub text: String,
    /// Where typing goes: a byte offset into `text`, on a character's
    /// boundary.
    pub cursor: usize,
    /// Why Enter did not take the text (a bad address), shown until the
    /// text changes.
    pub error: Option<String>,
}

/// The longest text a prompt takes: a paste of some sixty thousand
/// addresses. Longer lists belong in a file (`-i FILE`, or `-i -`).
pub const PROMPT_MAX: usize = 1024 * 1024;

/// What a key typed into a prompt does: it edits like a shell's line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptInput {
    Text(String),
    /// Deletes the character before the cursor.
    Backspace,
    /// Deletes the character at the cursor.
    Delete,
    /// Ctrl-W: deletes the word before the cursor.
    DeleteWord,
    /// Ctrl-U: deletes everything before the cursor.
    Clear,
    Left,
    Right,
    Home,
    End,
    Enter,
    Esc,
}

/// What the app must do after a prompt key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptDone {
    /// Nothing more.
    Nothing,
    /// The add prompt's text, to parse and add.
    Add(String),
}

/// The table's rows, filtered and sorted, without a list of every one: in
/// the given order or by state they are answered from the model's state
/// index in O(log n) each; by rate or slowest, from a sorted copy that
/// [`View::rows`] refreshes (see [`RESORT_EVERY`]).
#[derive(Debug, Clone)]
pub enum Rows<'m> {
    Indexed {
        states: &'m StateIndex,
        set: StateSet,
        by_state: bool,
    },
    Sorted(Rc<SortedRows>),
}

/// A sorted copy of the rows, and each download's place in it.
#[derive(Debug, Default)]
pub struct SortedRows {
    order: Vec<TaskId>,
    /// `positions[task]`: its row, or `u32::MAX` when not shown.
    positions: Vec<u32>,
}

impl Rows<'_> {
    pub fn len(&self) -> usize {
        match self {
            Rows::Indexed { states, set, .. } => states.count_in(*set),
            Rows::Sorted(sorted) => sorted.order.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The download in row `row`.
    pub fn get(&self, row: usize) -> Option<TaskId> {
        match self {
            Rows::Indexed {
                states,
                set,
                by_state: false,
            } => states.select(*set, row).map(TaskId::at),
            Rows::Indexed { states, set, .. } => states.select_by_state(*set, row).map(TaskId::at),
            Rows::Sorted(sorted) => sorted.order.get(row).copied(),
        }
    }

    /// The row of `task`, if it is shown.
    pub fn position(&self, task: TaskId) -> Option<usize> {
        match self {
            Rows::Indexed {
                states,
                set,
                by_state: false,
            } => {
                let state = states.state(task.index())?;
                set.contains(state).then(|| states.rank(*set, task.index()))
            }
            Rows::Indexed { states, set, .. } => states.position_by_state(*set, task.index()),
            Rows::Sorted(sorted) => sorted
                .positions
                .get(task.index())
                .filter(|&&row| row != u32::MAX)
                .map(|&row| row as usize),
        }
    }

    /// Up to `count` rows from row `start` on.
    pub fn window(&self, start: usize, count: usize) -> Vec<TaskId> {
        (start..start.saturating_add(count))
            .map_while(|row| self.get(row))
            .collect()
    }

    /// Every row (for tests and small lists).
    pub fn to_vec(&self) -> Vec<TaskId> {
        self.window(0, self.len())
    }
}

/// Rate and slowest orders change all the time; their sorted copy is made
/// again when the model has changed, but for a long list (over
/// [`RESORT_ALWAYS_BELOW`] rows) at most this often, so a million rows cost
/// one sort a second, not one a frame.
pub const RESORT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// Lists shorter than this are sorted again whenever the model changes.
pub const RESORT_ALWAYS_BELOW: usize = 20_000;

/// The sorted copy and what it was made from.
#[derive(Debug, Clone)]
pub(crate) struct SortCache {
    sort: SortOrder,
    filter: Filter,
    search: String,
    version: u64,
    made: Instant,
    rows: Rc<SortedRows>,
}

fn sort_key(order: SortOrder, download: &Download, now: Instant) -> f64 {
    match order {
        SortOrder::State => download.state.rank() as f64,
        // Fastest first: the highest rate sorts lowest.
        SortOrder::Rate => -download.rate(now),
        // Lowest average first; downloads that have not started last.
        SortOrder::Slowest => download.average_rate(now).unwrap_or(f64::INFINITY),
        SortOrder::Given => 0.0,
    }
}

/// Whether `haystack` contains `needle` (already lower case), ignoring the
/// case of ASCII letters (names and addresses are ASCII).
fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    needle.is_empty()
        || haystack
            .as_bytes()
            .windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
}

fn sorted_rows(
    model: &Model,
    order: SortOrder,
    filter: Filter,
    search: &str,
    now: Instant,
) -> SortedRows {
    let needle = search.to_ascii_lowercase();
    let mut address = String::new();
    let mut found = |download: &Download| {
        if needle.is_empty() {
            return true;
        }
        if download
            .address
            .label()
            .is_some_and(|label| contains_ignoring_case(label, &needle))
        {
            return true;
        }
        use std::fmt::Write;
        address.clear();
        let _ = write!(address, "{}", download.address);
        contains_ignoring_case(&address, &needle)
    };
    // Ties keep the given order, so rows do not jump around needlessly.
    // Most rows of a long list share the key that sorts last (not
    // receiving: a rate of 0; not started: no average; a state's rank):
    // those go after the rest in the given order, found in one pass, and
    // only the others are sorted. The order is exactly that of sorting
    // them all; a million queued rows behind ten running ones sort ten.
    let shown = model
        .tasks()
        .filter(|&task| filter.accepts(model[task].state) && found(&model[task]));
    let order: Vec<TaskId> = if order == SortOrder::State {
        // Nine ranks: a stable bucket per rank, no comparisons at all.
        let mut ranks: [Vec<TaskId>; super::state_index::STATES] = Default::default();
        for task in shown {
            ranks[model[task].state.rank()].push(task);
        }
        ranks.into_iter().flatten().collect()
    } else {
        // The greatest key there is (rates are never negative): what a
        // download not receiving, or not started, has.
        let last = match order {
            SortOrder::Rate => -0.0,
            _ => f64::INFINITY,
        };
        let mut keyed: Vec<(f64, TaskId)> = Vec::new();
        let mut tail: Vec<TaskId> = Vec::new();
        for task in shown {
            let key = sort_key(order, &model[task], now);
            if key.to_bits() == last.to_bits() {
                tail.push(task);
            } else {
                keyed.push((key, task));
            }
        }
        keyed.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        keyed
            .into_iter()
            .map(|(_, task)| task)
            .chain(tail)
            .collect()
    };
    let mut positions = vec![u32::MAX; model.downloads.len()];
    for (row, task) in order.iter().enumerate() {
        positions[task.index()] = u32::try_from(row).unwrap_or(u32::MAX);
    }
    SortedRows { order, positions }
}

/// How long a status message stays.
pub const STATUS_FOR: std::time::Duration = std::time::Duration::from_secs(3);

impl View {
    fn say(&mut self, now: Instant, message: String) {
        self.status = Some((message, now));
    }

    /// The status message, while it has not faded.
    pub fn status(&self, now: Instant) -> Option<&str> {
        self.status
            .as_ref()
            .filter(|(_, at)| now.saturating_duration_since(*at) < STATUS_FOR)
            .map(|(message, _)| message.as_str())
    }

    /// The downloads shown in the table, filtered and sorted; ties keep the
    /// given order, so rows do not jump around needlessly. Costs O(1) in the
    /// given order and by state; by rate or slowest it sorts again when the
    /// model changed (see [`RESORT_EVERY`]).
    pub fn rows<'m>(&mut self, model: &'m Model, now: Instant) -> Rows<'m> {
        if matches!(self.sort, SortOrder::Given | SortOrder::State) && self.search.is_empty() {
            self.sorted = None;
            return Rows::Indexed {
                states: model.states(),
                set: self.filter.states(),
                by_state: self.sort == SortOrder::State,
            };
        }
        let fresh = self.sorted.as_ref().is_some_and(|cache| {
            cache.sort == self.sort
                && cache.filter == self.filter
                && cache.search == self.search
                && (cache.version == model.version()
                    || (model.downloads.len() >= RESORT_ALWAYS_BELOW
                        && now.saturating_duration_since(cache.made) < RESORT_EVERY))
        });
        if !fresh {
            self.sorted = Some(SortCache {
                sort: self.sort,
                filter: self.filter,
                search: self.search.clone(),
                version: model.version(),
                made: now,
                rows: Rc::new(sorted_rows(
                    model,
                    self.sort,
                    self.filter,
                    &self.search,
                    now,
                )),
            });
        }
        match &self.sorted {
            Some(cache) => Rows::Sorted(Rc::clone(&cache.rows)),
            None => Rows::Sorted(Rc::default()),
        }
    }

    /// The rows as [`View::rows`] last worked them out, without working them
    /// out again: what drawing shows after the view was measured.
    pub fn rows_as_measured<'m>(&self, model: &'m Model) -> Rows<'m> {
        match &self.sorted {
            Some(cache) => Rows::Sorted(Rc::clone(&cache.rows)),
            None => Rows::Indexed {
                states: model.states(),
                set: self.filter.states(),
                by_state: self.sort == SortOrder::State,
            },
        }
    }

    /// The selected download if it is shown, else the first row shown.
    /// Selection follows the download, not the row number.
    pub fn settle(&mut self, rows: &Rows) {
        let index = match self.selected_index(rows) {
            Some(index) => index,
            None => {
                // Its row left the filter: the nearest row where it was.
                let index = self.selected_at.min(rows.len().saturating_sub(1));
                self.selected = rows.get(index);
                self.reset_poem_pane();
                index
            }
        };
        self.selected_at = index;
        let height = self.table_height.max(1);
        if index < self.table_offset {
            self.table_offset = index;
        } else if index >= self.table_offset + height {
            self.table_offset = index + 1 - height;
        }
        self.table_offset = self.table_offset.min(rows.len().saturating_sub(height));
    }

    pub fn selected_index(&self, rows: &Rows) -> Option<usize> {
        self.selected.and_then(|task| rows.position(task))
    }

    fn select_index(&mut self, rows: &Rows, index: usize) {
        if let Some(task) = rows.get(index.min(rows.len().saturating_sub(1))) {
            if self.selected != Some(task) {
                self.reset_poem_pane();
            }
            self.selected = Some(task);
        }
        self.settle(rows);
    }

    fn move_selection(&mut self, rows: &Rows, delta: isize) {
        let index = self.selected_index(rows).unwrap_or(0);
        self.select_index(rows, index.saturating_add_signed(delta));
    }

    /// The poem pane starts afresh: a new download or generation shown.
    fn reset_poem_pane(&mut self) {
        self.poem_scroll = None;
        self.poem_follow = false;
    }

    /// Whether the poem pane keeps to the poem's end as it grows (End, or
    /// never scrolled), rather than staying where it was scrolled to.
    pub fn follows_poem(&self) -> bool {
        self.poem_follow || self.poem_scroll.is_none()
    }

    /// The poem pane's first row for `download` as things stand.
    pub fn poem_top(&self, download: &Download) -> PoemPos {
        if self.poem_follow {
            return download.last_top(self.poem_pane);
        }
        match self.poem_scroll {
            Some(top) => top.min(download.last_top(self.poem_pane)),
            // Follow the poem: its end while it grows, its start when done.
            None if !download.state.is_final() => download.last_top(self.poem_pane),
            None => PoemPos::default(),
        }
    }

    /// Forgets the poem pane's scroll when the selected download has started
    /// over (a retry), so the pane shows the new generation from its top.
    pub fn follow_new_runs(&mut self, model: &Model) {
        let shows = self
            .selected
            .and_then(|task| model.get(task).map(|d| (task, d.generation, d.attempt)));
        if shows != self.poem_shows {
            if shows.map(|(task, ..)| task) == self.poem_shows.map(|(task, ..)| task) {
                self.reset_poem_pane();
            }
            self.poem_shows = shows;
        }
    }

    fn scroll_poem(&mut self, model: &Model, delta: isize) {
        let Some(download) = self.selected.and_then(|task| model.get(task)) else {
            return;
        };
        let top = self.poem_top(download);
        self.poem_follow = false;
        self.poem_scroll = Some(download.scrolled(top, delta, self.poem_pane));
    }

    fn scroll_log(&mut self, model: &Model, delta: isize) {
        // Up (negative) goes back in time. Entries wrap into several rows, so
        // only `ui::measure` knows how far back still fills the pane: it clamps.
        self.log_back = self
            .log_back
            .saturating_add_signed(-delta)
            .min(model.log.len().saturating_sub(1));
    }

    fn scroll_focused(&mut self, focus: Focus, model: &Model, rows: &Rows, delta: isize) {
        if self.gallery {
            // The gallery fills the screen: every scroll turns its pages
            // (`ui::measure` clamps the page to the last one).
            self.gallery_page = self.gallery_page.saturating_add_signed(delta.signum());
            return;
        }
        match focus {
            Focus::Table => self.move_selection(rows, delta),
            Focus::Poem => self.scroll_poem(model, delta),
            Focus::Log => self.scroll_log(model, delta),
        }
    }

    fn open_prompt(&mut self, kind: PromptKind, text: String) {
        self.prompt = Some(Prompt {
            kind,
            cursor: text.len(),
            text,
            error: None,
        });
    }

    /// A key typed while a prompt is open. The find prompt searches as
    /// the text changes; Esc clears the search. The add prompt hands its
    /// text back on Enter (see [`View::prompt_failed`] and
    /// [`View::prompt_done`]); Esc closes it.
    pub fn prompt_input(&mut self, input: PromptInput) -> PromptDone {
        let Some(prompt) = &mut self.prompt else {
            return PromptDone::Nothing;
        };
        let kind = prompt.kind;
        match input {
            PromptInput::Text(text) => {
                // One line: a pasted list's newlines separate addresses as
                // spaces do, and no control character is kept.
                let clean: String = text
                    .chars()
                    .map(|c| if c.is_whitespace() { ' ' } else { c })
                    .filter(|c| !c.is_control())
                    .collect();
                if prompt.text.len() + clean.len() > PROMPT_MAX {
                    // Whole or not at all: a paste cut anywhere could end
                    // in the middle of an address, and add one never given.
                    prompt.error = Some(format!(
                        "not taken: {} would pass the prompt's {}; give a longer list with -i FILE",
                        crate::units::bytes(clean.len() as u64),
                        crate::units::exact_size(PROMPT_MAX as u64),
                    ));
                    return PromptDone::Nothing;
                }
                prompt.text.insert_str(prompt.cursor, &clean);
                prompt.cursor += clean.len();
                prompt.error = None;
            }
            PromptInput::Backspace => {
                if let Some((at, _)) = prompt.text[..prompt.cursor].char_indices().next_back() {
                    prompt.text.replace_range(at..prompt.cursor, "");
                    prompt.cursor = at;
                }
                prompt.error = None;
            }
            PromptInput::Delete => {
                if let Some(c) = prompt.text[prompt.cursor..].chars().next() {
                    let end = prompt.cursor + c.len_utf8();
                    prompt.text.replace_range(prompt.cursor..end, "");
                }
                prompt.error = None;
            }
            PromptInput::DeleteWord => {
                // The spaces before the cursor, then the word before them.
                let before = &prompt.text[..prompt.cursor];
                let word_end = before.trim_end_matches(' ').len();
                let start = before[..word_end].rfind(' ').map_or(0, |space| space + 1);
                prompt.text.replace_range(start..prompt.cursor, "");
                prompt.cursor = start;
                prompt.error = None;
            }
            PromptInput::Clear => {
                prompt.text.replace_range(..prompt.cursor, "");
                prompt.cursor = 0;
                prompt.error = None;
            }
            PromptInput::Left => {
                if let Some((at, _)) = prompt.text[..prompt.cursor].char_indices().next_back() {
                    prompt.cursor = at;
                }
                return PromptDone::Nothing;
            }
            PromptInput::Right => {
                if let Some(c) = prompt.text[prompt.cursor..].chars().next() {
                    prompt.cursor += c.len_utf8();
                }
                return PromptDone::Nothing;
            }
            PromptInput::Home => {
                prompt.cursor = 0;
                return PromptDone::Nothing;
            }
            PromptInput::End => {
                prompt.cursor = prompt.text.len();
                return PromptDone::Nothing;
            }
            PromptInput::Esc => {
                self.prompt = None;
                if kind == PromptKind::Find {
                    self.search.clear();
                }
                return PromptDone::Nothing;
            }
            PromptInput::Enter => match kind {
                PromptKind::Find => {
                    self.prompt = None;
                    return PromptDone::Nothing;
                }
                PromptKind::Add => return PromptDone::Add(prompt.text.clone()),
            },
        }
        if kind == PromptKind::Find {
            self.search = self
                .prompt
                .as_ref()
                .map(|p| p.text.clone())
                .unwrap_or_default();
            self.table_offset = 0;
        }
        PromptDone::Nothing
    }

    /// The add prompt's text was refused: it stays open with the reason.
    pub fn prompt_failed(&mut self, error: String) {
        if let Some(prompt) = &mut self.prompt {
            prompt.error = Some(error);
        }
    }

    /// The add prompt's text was taken: it closes, and says what it did.
    pub fn prompt_done(&mut self, now: Instant, message: String) {
        self.prompt = None;
        self.say(now, message);
    }

    /// Carries out `action`; returns the command for the engine, if any.
    /// The modes take it in turn, from the top: a question in the footer
    /// (every key answers it), the help popup (modal), the gallery (its
    /// pages, and closing it), then the table and panes; a mode passes down
    /// what it does not use.
    pub fn handle(&mut self, action: Action, model: &Model, now: Instant) -> Option<Command> {
        let rows = self.rows(model, now);
        self.settle(&rows);
        if let Some(confirm) = self.confirm.take() {
            return self.answer(confirm, action, now);
        }
        if self.help {
            self.help_key(action);
            return None;
        }
        let command = match self.gallery_key(action) {
            Some(action) => self.table_key(action, model, &rows, now),
            None => None,
        };
        let rows = self.rows(model, now);
        self.settle(&rows);
        command
    }

    /// The key answers the question, and does nothing else.
    fn answer(&mut self, confirm: Confirm, action: Action, now: Instant) -> Option<Command> {
        match (confirm, action) {
            (Confirm::Quit { .. }, Action::Quit | Action::Confirm) => {
                self.quit = true;
                None
            }
            (Confirm::CancelAll { going }, Action::CancelAll | Action::Confirm) => {
                self.say(now, format!("cancelling {going}"));
                Some(Command::CancelAll)
            }
            _ => {
                self.say(now, "nothing was stopped".into());
                None
            }
        }
    }

    /// The help popup is modal: keys scroll it or close it.
    fn help_key(&mut self, action: Action) {
        match action {
            Action::Up => self.help_scroll = self.help_scroll.saturating_sub(1),
            Action::Down => self.help_scroll = self.help_scroll.saturating_add(1),
            Action::PageUp => {
                self.help_scroll = self.help_scroll.saturating_sub(self.help_height.max(2) - 1)
            }
            Action::PageDown => {
                self.help_scroll = self.help_scroll.saturating_add(self.help_height.max(2) - 1)
            }
            Action::First => self.help_scroll = 0,
            Action::Last => self.help_scroll = usize::MAX,
            Action::Scroll(_, lines) => {
                self.help_scroll = self.help_scroll.saturating_add_signed(lines as isize)
            }
            Action::ToggleHelp | Action::Back | Action::Quit => self.help = false,
            _ => {}
        }
    }

    /// The gallery's own keys (its first and last page, and Esc or q closing
    /// it, as in htop and less); any other key passes down.
    fn gallery_key(&mut self, action: Action) -> Option<Action> {
        if !self.gallery {
            return Some(action);
        }
        match action {
            Action::First => self.gallery_page = 0,
            Action::Last => self.gallery_page = usize::MAX,
            Action::Back | Action::Quit => self.gallery = false,
            _ => return Some(action),
        }
        None
    }

    /// The table and the panes under it.
    fn table_key(
        &mut self,
        action: Action,
        model: &Model,
        rows: &Rows,
        now: Instant,
    ) -> Option<Command> {
        let page = |height: usize| height.max(2) as isize - 1;
        match action {
            Action::Up => self.scroll_focused(self.focus, model, rows, -1),
            Action::Down => self.scroll_focused(self.focus, model, rows, 1),
            Action::PageUp | Action::PageDown => {
                let height = match self.focus {
                    Focus::Table => self.table_height,
                    Focus::Poem => self.poem_pane.height,
                    Focus::Log => self.log_height,
                };
                let sign = if action == Action::PageUp { -1 } else { 1 };
                self.scroll_focused(self.focus, model, rows, sign * page(height));
            }
            Action::First => match self.focus {
                Focus::Table => self.select_index(rows, 0),
                Focus::Poem => {
                    self.poem_follow = false;
                    self.poem_scroll = Some(PoemPos::default());
                }
                Focus::Log => self.log_back = model.log.len(),
            },
            Action::Last => match self.focus {
                Focus::Table => self.select_index(rows, usize::MAX),
                Focus::Poem => {
                    // Follows the tail again, as it grows.
                    self.poem_scroll = None;
                    self.poem_follow = true;
                }
                Focus::Log => self.log_back = 0,
            },
            Action::Scroll(focus, lines) => self.scroll_focused(focus, model, rows, lines as isize),
            Action::ClickRow(index) => {
                self.focus = Focus::Table;
                // Below the last row there is nothing to select.
                if self.table_offset + index < rows.len() {
                    self.select_index(rows, self.table_offset + index);
                }
            }
            Action::Focus(focus) if focus != Focus::Log || self.log_shown => self.focus = focus,
            Action::Focus(_) => {}
            Action::FocusNext => {
                self.focus = match self.focus {
                    Focus::Table => Focus::Poem,
                    Focus::Poem if self.log_shown => Focus::Log,
                    Focus::Poem | Focus::Log => Focus::Table,
                }
            }
            Action::Retry => {
                let task = self.selected?;
                if model.get(task).is_some_and(|d| d.state.is_complete()) {
                    self.say(
                        now,
                        format!("task {task}: fetching again; its poem is replaced"),
                    );
                }
                // The new generation's poem starts at its top.
                self.reset_poem_pane();
                return Some(Command::Retry(task));
            }
            Action::RetryFailed => {
                let totals = model.totals();
                if totals.failed + totals.cancelled == 0 {
                    self.say(now, "nothing failed or cancelled to retry".into());
                }
                return Some(Command::RetryFailed);
            }
            Action::Cancel => {
                let task = self.selected?;
                if let Some(download) = model.get(task)
                    && download.state.is_final()
                {
                    self.say(now, format!("task {task} has ended: nothing to cancel"));
                    return None;
                }
                return Some(Command::Cancel(task));
            }
            Action::CancelAll => {
                let going = going(model);
                if going == 0 {
                    self.say(now, "every download has ended: nothing to cancel".into());
                    return None;
                }
                if going > 1 {
                    self.confirm = Some(Confirm::CancelAll { going });
                    return None;
                }
                self.say(now, "cancelling the one not finished".into());
                return Some(Command::CancelAll);
            }
            Action::TogglePause => {
                let task = self.selected?;
                let download = model.get(task)?;
                if download.state.is_final() {
                    self.say(now, format!("task {task} has ended: nothing to pause"));
                    return None;
                }
                return Some(if download.paused {
                    self.say(now, format!("task {task}: resumed"));
                    Command::Resume(task)
                } else {
                    self.say(now, format!("task {task}: paused (space resumes it)"));
                    Command::Pause(task)
                });
            }
            Action::TogglePauseAll => {
                let totals = model.totals();
                let going = totals.active + totals.queued;
                if going == 0 {
                    self.say(now, "every download has ended: nothing to pause".into());
                    return None;
                }
                // Any still going: hold them all; all held: let them go.
                return Some(if totals.paused < going {
                    self.say(now, format!("pausing {going} (P resumes them)"));
                    Command::PauseAll
                } else {
                    self.say(now, format!("resuming {going}"));
                    Command::ResumeAll
                });
            }
            Action::OpenAdd => self.open_prompt(PromptKind::Add, String::new()),
            Action::OpenFind => self.open_prompt(PromptKind::Find, self.search.clone()),
            Action::CycleSort => self.sort = self.sort.next(),
            Action::CycleFilter => {
                self.filter = self.filter.next();
                self.table_offset = 0;
            }
            Action::ToggleGallery => {
                self.gallery = !self.gallery;
                self.gallery_page = 0;
            }
            Action::ToggleHelp => {
                self.help = true;
                self.help_scroll = 0;
            }
            Action::ToggleOverlay => self.overlay = !self.overlay,
            Action::ToggleOriginal => {
                self.show_original = !self.show_original;
                self.say(
                    now,
                    if self.show_original {
                        "the poem pane shows poems as downloaded (o: as transformed)".into()
                    } else {
                        "the poem pane shows poems as transformed (o: as downloaded)".into()
                    },
                );
            }
            // Esc backs out of one thing at a time, and never quits (k9s,
            // lazygit, bottom): a kept search, then a pane's focus.
            Action::Back if !self.search.is_empty() => {
                self.search.clear();
                self.say(now, "search cleared".into());
            }
            Action::Back if self.focus != Focus::Table => self.focus = Focus::Table,
            Action::Back => self.say(now, "nothing to close (q quits)".into()),
            Action::Quit => match going(model) {
                0 => self.quit = true,
                going => self.confirm = Some(Confirm::Quit { going }),
            },
            Action::Confirm | Action::Other => {}
        }
        None
    }
}

/// Downloads that have not ended: what quitting or cancelling all would
/// throw away.
fn going(model: &Model) -> usize {
    let totals = model.totals();
    totals.active + totals.queued
}

/// The table's column widths the rows needed, never narrower than those
/// of rows shown before at this terminal width: columns keep their places
/// as the rows in view change (a scroll, a filter), and move only when the
/// terminal does. Kept here, with the rest of what the view remembers;
/// worked out by the table's layout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeptWidths {
    pub area_width: u16,
    pub server: usize,
    pub attempts: usize,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::BytesMut;

    use super::*;
    use crate::address::Address;
    use crate::engine::{Event, EventKind};

    pub(super) fn ids(indexes: &[usize]) -> Vec<TaskId> {
        indexes.iter().map(|&i| TaskId::at(i)).collect()
    }

    pub(super) fn model(n: u16) -> Model {
        Model::for_dashboard((1..=n).map(Address::loopback), Default::default())
    }

    /// A clean close after `received` bytes.
    pub(super) fn finished(received: u64) -> EventKind {
        EventKind::Finished {
            received,
            times: Default::default(),
        }
    }

    pub(super) fn feed(model: &mut Model, at: Instant, task: usize, kind: EventKind) {
        model.apply(&mut Event {
            task: TaskId::at(task),
            generation: 1,
            at,
            kind,
        });
    }

    #[test]
    fn sorting_only_the_rows_that_differ_gives_the_order_of_sorting_them_all() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut m = model(300);
        fastrand::seed(11);
        for task in 0..300 {
            match fastrand::u8(..5) {
                0 => {} // queued
                1 | 2 => {
                    feed(
                        &mut m,
                        ms(0),
                        task,
                        EventKind::Connecting { attempt: 1, of: 1 },
                    );
                    // Receiving at one of a few rates (ties included).
                    let bytes = 100 * u64::from(fastrand::u8(1..4));
                    for step in 1..=5u64 {
                        feed(
                            &mut m,
                            ms(step * 100),
                            task,
                            EventKind::Progress {
                                data: vec![BytesMut::from(&vec![b'a'; bytes as usize][..])],
                                received: bytes * step,
                            },
                        );
                    }
                    if fastrand::bool() {
                        feed(&mut m, ms(600), task, finished(bytes * 5));
                    }
                }
                _ => {
                    feed(
                        &mut m,
                        ms(0),
                        task,
                        EventKind::Connecting { attempt: 1, of: 1 },
                    );
                    feed(&mut m, ms(300), task, finished(10));
                }
            }
        }
        let now = ms(700);
        for order in [SortOrder::Rate, SortOrder::Slowest, SortOrder::State] {
            for search in ["", "1"] {
                let rows = sorted_rows(&m, order, Filter::All, search, now);
                let mut every: Vec<(f64, TaskId)> = m
                    .tasks()
                    .filter(|&t| search.is_empty() || m[t].address.to_string().contains(search))
                    .map(|t| (sort_key(order, &m[t], now), t))
                    .collect();
                every.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let expected: Vec<TaskId> = every.into_iter().map(|(_, t)| t).collect();
                assert_eq!(rows.order, expected, "{order:?} {search:?}");
                for (row, task) in expected.iter().enumerate() {
                    assert_eq!(rows.positions[task.index()] as usize, row);
                }
            }
        }
    }

    fn receive(model: &mut Model, at: Instant, task: usize, bytes: usize) {
        feed(model, at, task, EventKind::Connecting { attempt: 1, of: 1 });
        feed(
            model,
            at,
            task,
            EventKind::Progress {
                data: vec![BytesMut::from(&vec![b'x'; bytes][..])],
                received: bytes as u64,
            },
        );
    }

    #[test]
    fn selection_follows_the_download_when_rows_re_sort() {
        let t0 = Instant::now();
        let mut m = model(3);
        receive(&mut m, t0, 0, 10);
        receive(&mut m, t0, 1, 1000);
        receive(&mut m, t0, 2, 100);
        let t0 = t0 + Duration::from_secs(1);
        let mut view = View {
            table_height: 10,
            ..View::default()
        };
        view.handle(Action::Down, &m, t0); // select task 1 (given order)
        assert_eq!(view.selected, Some(TaskId::at(1)));
        view.handle(Action::CycleSort, &m, t0); // state: all receiving, given order
        view.handle(Action::CycleSort, &m, t0); // rate
        assert_eq!(view.sort, SortOrder::Rate);
        let rows = view.rows(&m, t0);
        assert_eq!(rows.to_vec(), ids(&[1, 2, 0]));
        assert_eq!(
            view.selected,
            Some(TaskId::at(1)),
            "still the same download"
        );
        assert_eq!(view.selected_index(&rows), Some(0), "now in the first row");
        view.handle(Action::CycleSort, &m, t0);
        assert_eq!(view.rows(&m, t0).to_vec(), ids(&[0, 2, 1]), "slowest first");
    }

    #[test]
    fn keys_that_do_nothing_or_something_surprising_say_so_for_a_moment() {
        let t0 = Instant::now();
        let mut m = model(2);
        feed(&mut m, t0, 0, finished(3));
        let mut view = View {
            table_height: 10,
            ..View::default()
        };
        view.handle(Action::First, &m, t0);
        assert_eq!(view.handle(Action::Cancel, &m, t0), None);
        assert_eq!(view.status(t0), Some("task 1 has ended: nothing to cancel"));
        assert_eq!(
            view.handle(Action::Retry, &m, t0),
            Some(Command::Retry(TaskId::at(0)))
        );
        assert_eq!(
            view.status(t0),
            Some("task 1: fetching again; its poem is replaced")
        );
        view.handle(Action::RetryFailed, &m, t0);
        assert_eq!(
            view.status(t0),
            Some("nothing failed or cancelled to retry")
        );
        assert_eq!(view.status(t0 + STATUS_FOR), None, "it fades");
    }

    #[test]
    fn q_closes_a_popup_before_it_quits() {
        let t0 = Instant::now();
        let mut m = model(3);
        for task in 0..3 {
            feed(&mut m, t0, task, finished(5));
        }
        let mut view = View::default();
        view.handle(Action::ToggleHelp, &m, t0);
        view.handle(Action::Quit, &m, t0);
        assert!(!view.help && !view.quit, "q closed help");
        view.handle(Action::ToggleGallery, &m, t0);
        view.handle(Action::Quit, &m, t0);
        assert!(!view.gallery && !view.quit, "q closed the gallery");
        // Nothing going: q quits at once.
        view.handle(Action::Quit, &m, t0);
        assert!(view.quit);
    }

    #[test]
    fn a_click_below_the_last_row_selects_nothing_and_a_pane_click_focuses() {
        let t0 = Instant::now();
        let m = model(3);
        let mut view = View {
            table_height: 10,
            ..View::default()
        };
        view.handle(Action::ClickRow(1), &m, t0);
        assert_eq!(view.selected, Some(TaskId::at(1)));
        view.handle(Action::ClickRow(7), &m, t0);
        assert_eq!(view.selected, Some(TaskId::at(1)), "below the rows");
        view.handle(Action::ClickRow(3), &m, t0);
        assert_eq!(view.selected, Some(TaskId::at(1)), "just below the last");
        view.handle(Action::ToggleOverlay, &m, t0);
        assert!(view.overlay, "p shows the overlay");
        view.handle(Action::ToggleOverlay, &m, t0);
        assert!(!view.overlay, "and hides it");
        view.handle(Action::Focus(Focus::Poem), &m, t0);
        assert_eq!(view.focus, Focus::Poem);
        view.handle(Action::Focus(Focus::Log), &m, t0);
        assert_eq!(view.focus, Focus::Poem, "no log pane in this layout");
    }

    #[test]
    fn esc_never_quits_and_q_asks_once_while_downloads_go_on() {
        let t0 = Instant::now();
        let mut m = model(3);
        feed(&mut m, t0, 2, finished(5));
        let mut view = View::default();
        // Esc backs out (a focused pane, then nothing) and never quits.
        view.handle(Action::FocusNext, &m, t0);
        view.handle(Action::Back, &m, t0);
        assert_eq!(view.focus, Focus::Table);
        for _ in 0..3 {
            view.handle(Action::Back, &m, t0);
        }
        assert!(!view.quit, "Esc never quits");
        // q with two going asks; any other key stays and does nothing else.
        view.handle(Action::Quit, &m, t0);
        assert_eq!(view.confirm, Some(Confirm::Quit { going: 2 }));
        assert!(!view.quit);
        assert_eq!(
            view.handle(Action::Cancel, &m, t0),
            None,
            "the key only answers"
        );
        assert_eq!((view.confirm, view.quit), (None, false));
        // So does a key bound to nothing.
        view.handle(Action::Quit, &m, t0);
        view.handle(Action::Other, &m, t0);
        assert_eq!((view.confirm, view.quit), (None, false));
        // q again (or y) quits.
        view.handle(Action::Quit, &m, t0);
        view.handle(Action::Quit, &m, t0);
        assert!(view.quit);
        let mut view = View::default();
        view.handle(Action::Quit, &m, t0);
        view.handle(Action::Confirm, &m, t0);
        assert!(view.quit, "y says yes");
        // C asks the same way when it would cancel more than one.
        let mut view = View::default();
        assert_eq!(view.handle(Action::CancelAll, &m, t0), None);
        assert_eq!(view.confirm, Some(Confirm::CancelAll { going: 2 }));
        assert_eq!(view.handle(Action::Down, &m, t0), None, "stays");
        assert_eq!(view.handle(Action::CancelAll, &m, t0), None, "asks again");
        assert_eq!(
            view.handle(Action::CancelAll, &m, t0),
            Some(Command::CancelAll)
        );
        // One going: C cancels it at once.
        feed(&mut m, t0, 1, finished(5));
        assert_eq!(
            View::default().handle(Action::CancelAll, &m, t0),
            Some(Command::CancelAll)
        );
    }

    #[test]
    fn a_selection_that_leaves_the_filter_moves_to_the_nearest_row() {
        let t0 = Instant::now();
        let mut m = model(6);
        let mut view = View {
            table_height: 10,
            filter: Filter::Active,
            ..View::default()
        };
        view.handle(Action::Down, &m, t0);
        view.handle(Action::Down, &m, t0);
        view.handle(Action::Down, &m, t0);
        assert_eq!(view.selected, Some(TaskId::at(3)));
        feed(&mut m, t0, 3, finished(3));
        let rows = view.rows(&m, t0);
        view.settle(&rows);
        assert_eq!(rows.to_vec(), ids(&[0, 1, 2, 4, 5]));
        assert_eq!(
            view.selected,
            Some(TaskId::at(4)),
            "the row that took its place, not task 1"
        );
    }

    #[test]
    fn the_help_popup_scrolls_and_is_modal() {
        let t0 = Instant::now();
        let m = model(3);
        let mut view = View {
            help_height: 5,
            ..View::default()
        };
        view.handle(Action::ToggleHelp, &m, t0);
        view.handle(Action::Down, &m, t0);
        view.handle(Action::PageDown, &m, t0);
        assert_eq!(view.help_scroll, 5);
        assert_eq!(
            view.selected,
            Some(TaskId::at(0)),
            "keys scroll the help, not the table"
        );
        assert_eq!(view.handle(Action::Cancel, &m, t0), None);
        // A page is the popup's rows less one, kept for context.
        view.handle(Action::PageUp, &m, t0);
        assert_eq!(view.help_scroll, 1);
        view.handle(Action::Up, &m, t0);
        assert_eq!(view.help_scroll, 0);
        view.handle(Action::Scroll(Focus::Table, 3), &m, t0);
        assert_eq!(view.help_scroll, 3, "the wheel scrolls the popup");
        view.handle(Action::Last, &m, t0);
        assert_eq!(
            view.help_scroll,
            usize::MAX,
            "the last line (measuring clamps it)"
        );
        view.handle(Action::First, &m, t0);
        assert_eq!(view.help_scroll, 0);
        view.handle(Action::Quit, &m, t0);
        assert!(!view.help && !view.quit, "q closes the popup first");
    }

    #[test]
    fn slowest_stays_true_after_downloads_end() {
        let t0 = Instant::now();
        let mut m = model(3);
        // Task 0: 1000 bytes in 10 s (100 B/s); task 1: 1000 bytes in 1 s;
        // task 2: 100 bytes in 10 s, ended first.
        for (task, bytes, secs) in [(0, 1000, 10), (1, 1000, 1), (2, 100, 10)] {
            receive(&mut m, t0, task, bytes);
            feed(
                &mut m,
                t0 + Duration::from_secs(secs),
                task,
                finished(bytes as u64),
            );
        }
        let mut view = View {
            sort: SortOrder::Slowest,
            ..View::default()
        };
        let later = t0 + Duration::from_secs(60);
        assert_eq!(
            view.rows(&m, later).to_vec(),
            ids(&[2, 0, 1]),
            "lowest average rate first"
        );
    }

    #[test]
    fn sorting_by_state_puts_running_first_and_complete_last() {
        let t0 = Instant::now();
        let mut m = model(4);
        feed(&mut m, t0, 0, finished(3));
        receive(&mut m, t0, 2, 5);
        feed(&mut m, t0, 3, EventKind::Cancelled { received: 0 });
        let mut view = View {
            sort: SortOrder::State,
            ..View::default()
        };
        assert_eq!(view.rows(&m, t0).to_vec(), ids(&[2, 1, 3, 0]));
    }

    #[test]
    fn filtering_hides_rows_and_moves_a_hidden_selection() {
        let t0 = Instant::now();
        let mut m = model(4);
        feed(&mut m, t0, 1, finished(3));
        feed(&mut m, t0, 3, finished(3));
        let mut view = View {
            table_height: 10,
            ..View::default()
        };
        view.handle(Action::First, &m, t0);
        assert_eq!(view.selected, Some(TaskId::at(0)));
        view.handle(Action::CycleFilter, &m, t0); // active
        assert_eq!(view.rows(&m, t0).to_vec(), ids(&[0, 2]));
        view.handle(Action::CycleFilter, &m, t0); // complete
        assert_eq!(view.rows(&m, t0).to_vec(), ids(&[1, 3]));
        assert_eq!(
            view.selected,
            Some(TaskId::at(1)),
            "the hidden selection moved to a shown row"
        );
        view.handle(Action::CycleFilter, &m, t0); // failed: none
        assert!(view.rows(&m, t0).is_empty());
        assert_eq!(
            view.handle(Action::Retry, &m, t0),
            None,
            "nothing selected, nothing retried"
        );
    }

    #[test]
    fn the_table_scrolls_to_keep_the_selection_visible() {
        let t0 = Instant::now();
        let m = model(50);
        let mut view = View {
            table_height: 10,
            ..View::default()
        };
        view.handle(Action::Last, &m, t0);
        assert_eq!(
            (view.selected, view.table_offset),
            (Some(TaskId::at(49)), 40)
        );
        view.handle(Action::PageUp, &m, t0);
        assert_eq!(
            (view.selected, view.table_offset),
            (Some(TaskId::at(40)), 40)
        );
        view.handle(Action::Up, &m, t0);
        assert_eq!(
            (view.selected, view.table_offset),
            (Some(TaskId::at(39)), 39)
        );
        view.handle(Action::First, &m, t0);
        assert_eq!((view.selected, view.table_offset), (Some(TaskId::at(0)), 0));
        view.handle(Action::ClickRow(3), &m, t0);
        assert_eq!(view.selected, Some(TaskId::at(3)));
    }

    #[test]
    fn keys_become_commands_for_the_selected_download() {
        let t0 = Instant::now();
        let m = model(3);
        let mut view = View {
            table_height: 10,
            ..View::default()
        };
        view.handle(Action::Down, &m, t0);
        assert_eq!(
            view.handle(Action::Cancel, &m, t0),
            Some(Command::Cancel(TaskId::at(1)))
        );
        assert_eq!(
            view.handle(Action::Retry, &m, t0),
            Some(Command::Retry(TaskId::at(1)))
        );
        // Three going: C asks first; C again cancels them.
        assert_eq!(view.handle(Action::CancelAll, &m, t0), None);
        assert_eq!(
            view.handle(Action::CancelAll, &m, t0),
            Some(Command::CancelAll)
        );
        assert_eq!(
            view.handle(Action::RetryFailed, &m, t0),
            Some(Command::RetryFailed)
        );
        view.handle(Action::ToggleHelp, &m, t0);
        assert_eq!(view.handle(Action::Cancel, &m, t0), None, "help is modal");
        view.handle(Action::Back, &m, t0);
        assert!(!view.help && !view.quit, "Esc closes help");
        view.handle(Action::Back, &m, t0);
        assert!(!view.quit, "and never quits");
    }

    #[test]
    fn the_gallery_pages_whatever_has_focus() {
        let t0 = Instant::now();
        let m = model(3);
        let mut view = View {
            table_height: 10,
            ..View::default()
        };
        view.handle(Action::ToggleGallery, &m, t0);
        view.handle(Action::PageDown, &m, t0);
        view.handle(Action::Down, &m, t0);
        assert_eq!((view.gallery_page, view.selected), (2, Some(TaskId::at(0))));
        view.handle(Action::PageUp, &m, t0);
        assert_eq!(view.gallery_page, 1);
        view.handle(Action::Last, &m, t0);
        assert_eq!(
            view.gallery_page,
            usize::MAX,
            "the last page (measuring clamps it)"
        );
        view.handle(Action::First, &m, t0);
        assert_eq!(
            (view.gallery_page, view.selected),
            (0, Some(TaskId::at(0))),
            "the first page, not the first row"
        );
        view.handle(Action::Back, &m, t0);
        assert!(!view.gallery && !view.quit, "Esc leaves the gallery first");
    }

    #[test]
    fn the_poem_scrolls_and_the_log_scrolls_back() {
        let t0 = Instant::now();
        let mut m = model(1);
        receive(&mut m, t0, 0, 0);
        let lines: String = (0..30).map(|i| format!("line {i}\n")).collect();
        feed(
            &mut m,
            t0,
            0,
            EventKind::Progress {
                data: vec![BytesMut::from(lines.as_bytes())],
                received: 0,
            },
        );
        feed(&mut m, t0 + Duration::from_secs(1), 0, finished(1));
        let mut view = View {
            table_height: 5,
            poem_pane: PaneSize {
                width: 40,
                height: 10,
            },
            log_height: 1,
            log_shown: true,
            ..View::default()
        };
        view.handle(Action::FocusNext, &m, t0);
        assert_eq!(view.focus, Focus::Poem);
        let line = |line| Some(PoemPos { line, row: 0 });
        view.handle(Action::PageDown, &m, t0);
        assert_eq!(view.poem_scroll, line(9));
        assert!(!view.follows_poem(), "scrolled: the pane stays put");
        view.handle(Action::Last, &m, t0);
        assert!(view.poem_follow, "End follows the end");
        assert!(view.follows_poem());
        assert_eq!(Some(view.poem_top(&m.downloads[0])), line(20));
        view.handle(Action::Scroll(Focus::Poem, -3), &m, t0);
        assert!(!view.poem_follow, "a scroll stops following");
        assert!(!view.follows_poem());
        assert_eq!(view.poem_scroll, line(17));
        view.handle(Action::FocusNext, &m, t0);
        view.handle(Action::Up, &m, t0);
        assert_eq!(
            view.log_back, 0,
            "one log entry fits, nothing to scroll back to"
        );
    }
}

#[cfg(test)]
mod poem_pane_tests {
    use super::tests::finished;
    use std::time::Instant;

    use bytes::BytesMut;

    use super::*;
    use crate::address::Address;
    use crate::engine::{Event, EventKind};

    fn feed(model: &mut Model, generation: u32, kind: EventKind) {
        model.apply(&mut Event {
            task: TaskId::at(0),
            generation,
            at: Instant::now(),
            kind,
        });
    }

    fn poem(model: &mut Model, generation: u32, lines: usize) {
        let text: String = (0..lines).map(|i| format!("line {i}\n")).collect();
        feed(
            model,
            generation,
            EventKind::Connecting { attempt: 1, of: 1 },
        );
        feed(
            model,
            generation,
            EventKind::Progress {
                data: vec![BytesMut::from(text.as_bytes())],
                received: text.len() as u64,
            },
        );
        feed(model, generation, finished(text.len() as u64));
    }

    fn view() -> View {
        View {
            table_height: 5,
            poem_pane: PaneSize {
                width: 40,
                height: 10,
            },
            ..View::default()
        }
    }

    #[test]
    fn a_retry_starts_the_poem_pane_at_the_top_of_the_new_run() {
        let t0 = Instant::now();
        let mut m = Model::for_dashboard([Address::loopback(1)], Default::default());
        poem(&mut m, 1, 100);
        let mut view = view();
        view.follow_new_runs(&m);
        view.handle(Action::FocusNext, &m, t0);
        view.handle(Action::Last, &m, t0);
        assert_eq!(view.poem_top(&m.downloads[0]), PoemPos { line: 90, row: 0 });

        // `r` from the table.
        view.handle(Action::FocusNext, &m, t0);
        view.handle(Action::FocusNext, &m, t0);
        assert_eq!(
            view.handle(Action::Retry, &m, t0),
            Some(Command::Retry(TaskId::at(0)))
        );
        poem(&mut m, 2, 5);
        view.follow_new_runs(&m);
        let download = m.get(TaskId::at(0)).unwrap();
        assert_eq!(view.poem_top(download), PoemPos::default());

        // `R` (or a retry by the engine) starts a new generation without a key on
        // this row: the pane still starts at the top of the new generation.
        view.handle(Action::FocusNext, &m, t0);
        view.handle(Action::Last, &m, t0);
        poem(&mut m, 3, 30);
        view.follow_new_runs(&m);
        assert_eq!(
            view.poem_top(m.get(TaskId::at(0)).unwrap()),
            PoemPos::default()
        );
    }

    #[test]
    fn focus_cycles_through_the_panes_that_are_drawn() {
        let t0 = Instant::now();
        let m = Model::for_dashboard([Address::loopback(1)], Default::default());
        let mut view = view();
        view.log_shown = false; // the compact layout
        view.handle(Action::FocusNext, &m, t0);
        assert_eq!(view.focus, Focus::Poem);
        view.handle(Action::FocusNext, &m, t0);
        assert_eq!(view.focus, Focus::Table, "the hidden log is skipped");
        view.log_shown = true;
        view.handle(Action::FocusNext, &m, t0);
        view.handle(Action::FocusNext, &m, t0);
        assert_eq!(view.focus, Focus::Log);
    }
}

#[cfg(test)]
mod session_tests {
    use std::time::Instant;

    use super::tests::{feed, finished, ids, model};
    use super::*;
    use crate::address::Address;
    use crate::engine::EventKind;

    #[test]
    fn find_shows_rows_whose_name_or_address_match_and_keeps_the_selection() {
        let t0 = Instant::now();
        let mut m = Model::for_dashboard(
            [
                Address::loopback(10000).named("Ecstasy"),
                Address::loopback(10001),
                Address::new("poems.example", 10002).named("science"),
                Address::loopback(10003).named("ecstasy-2"),
            ],
            Default::default(),
        );
        let mut view = View::default();
        view.handle(Action::Last, &m, t0);
        assert_eq!(view.selected, Some(TaskId::at(3)));
        view.handle(Action::OpenFind, &m, t0);
        for c in "ECST".chars() {
            view.prompt_input(PromptInput::Text(c.to_string()));
        }
        // Case is ignored; the name matches.
        assert_eq!(view.rows(&m, t0).to_vec(), ids(&[0, 3]));
        view.handle(Action::Up, &m, t0);
        assert_eq!(view.selected, Some(TaskId::at(0)), "moves among the found");
        view.prompt_input(PromptInput::Enter);
        assert!(view.prompt.is_none());
        assert_eq!(view.search, "ECST", "Enter keeps the search");
        // The address matches too, together with the state filter.
        view.handle(Action::OpenFind, &m, t0);
        view.prompt_input(PromptInput::Clear);
        view.prompt_input(PromptInput::Text(":1000".into()));
        assert_eq!(view.rows(&m, t0).to_vec(), ids(&[0, 1, 2, 3]));
        feed(&mut m, t0, 1, finished(10));
        view.filter = Filter::Complete;
        assert_eq!(view.rows(&m, t0).to_vec(), ids(&[1]));
        // Esc clears the search.
        view.prompt_input(PromptInput::Esc);
        assert_eq!(view.search, "");
        // A search kept with Enter: Esc in the table clears it; a second
        // Esc has nothing left to close, and does not quit.
        view.handle(Action::OpenFind, &m, t0);
        view.prompt_input(PromptInput::Text("sci".into()));
        view.prompt_input(PromptInput::Enter);
        view.handle(Action::Back, &m, t0);
        assert_eq!((view.search.as_str(), view.quit), ("", false));
        view.handle(Action::Back, &m, t0);
        assert!(!view.quit, "Esc never quits");
        view.filter = Filter::All;
        assert_eq!(view.rows(&m, t0).len(), 4);
    }

    #[test]
    fn the_add_prompt_takes_every_key_until_enter_or_esc() {
        let t0 = Instant::now();
        let m = model(2);
        let mut view = View::default();
        view.handle(Action::OpenAdd, &m, t0);
        // A q typed here is text, not a quit; a pasted list becomes one line.
        assert_eq!(
            view.prompt_input(PromptInput::Text("q=1\n2".into())),
            PromptDone::Nothing
        );
        assert!(!view.quit);
        assert_eq!(view.prompt.as_ref().map(|p| p.text.as_str()), Some("q=1 2"));
        assert_eq!(
            view.prompt_input(PromptInput::Enter),
            PromptDone::Add("q=1 2".into())
        );
        // Refused: the prompt stays with the reason until the text changes.
        view.prompt_failed("bad address".into());
        assert_eq!(
            view.prompt.as_ref().and_then(|p| p.error.as_deref()),
            Some("bad address")
        );
        view.prompt_input(PromptInput::Backspace);
        assert_eq!(view.prompt.as_ref().and_then(|p| p.error.as_deref()), None);
        view.prompt_input(PromptInput::Esc);
        assert!(view.prompt.is_none(), "Esc always cancels");
    }

    #[test]
    fn the_prompt_edits_like_a_shell_line() {
        let t0 = Instant::now();
        let m = model(1);
        let mut view = View::default();
        view.handle(Action::OpenAdd, &m, t0);
        let text = |view: &View| view.prompt.as_ref().map(|p| p.text.clone()).unwrap();
        view.prompt_input(PromptInput::Text("one=10000 two=10001".into()));
        view.prompt_input(PromptInput::DeleteWord);
        assert_eq!(text(&view), "one=10000 ");
        view.prompt_input(PromptInput::Home);
        view.prompt_input(PromptInput::Delete);
        assert_eq!(text(&view), "ne=10000 ");
        view.prompt_input(PromptInput::Text("ö".into()));
        view.prompt_input(PromptInput::Right);
        view.prompt_input(PromptInput::Right);
        view.prompt_input(PromptInput::Text("X".into()));
        assert_eq!(text(&view), "öneX=10000 ");
        view.prompt_input(PromptInput::Left);
        view.prompt_input(PromptInput::Left);
        view.prompt_input(PromptInput::Backspace);
        assert_eq!(text(&view), "öeX=10000 ");
        view.prompt_input(PromptInput::Backspace);
        view.prompt_input(PromptInput::Backspace);
        assert_eq!(text(&view), "eX=10000 ", "nothing before the start");
        view.prompt_input(PromptInput::End);
        view.prompt_input(PromptInput::Text("3".into()));
        view.prompt_input(PromptInput::Left);
        view.prompt_input(PromptInput::Clear);
        assert_eq!(text(&view), "3", "Ctrl-U deletes what is before the cursor");
    }

    #[test]
    fn a_paste_is_taken_whole_or_refused_whole() {
        let t0 = Instant::now();
        let m = model(1);
        let mut view = View::default();
        view.handle(Action::OpenAdd, &m, t0);
        // 5,401 addresses, about 86 KB: more than the old 64 KiB cut.
        let list: String = (0..5401)
            .map(|i| format!("127.0.0.1:{}\n", 30000 + i))
            .collect();
        view.prompt_input(PromptInput::Text(list));
        let PromptDone::Add(text) = view.prompt_input(PromptInput::Enter) else {
            panic!("Enter hands the text back");
        };
        let addresses = crate::address::parse_many(&text).expect("every address");
        assert_eq!(addresses.len(), 5401);
        assert_eq!(addresses[5400].port, 35400, "the last one whole");
        // Past the limit: nothing of it is taken, and the prompt says why.
        let before = view.prompt.as_ref().map(|p| p.text.clone());
        let huge = "127.0.0.1:31000 ".repeat(PROMPT_MAX / 16 + 1);
        view.prompt_input(PromptInput::Text(huge));
        let prompt = view.prompt.as_ref().expect("still open");
        assert_eq!(Some(&prompt.text), before.as_ref(), "the text is as it was");
        let error = prompt.error.as_deref().unwrap_or_default();
        assert!(
            error.contains("not taken") && error.contains("-i FILE"),
            "{error}"
        );
    }

    #[test]
    fn space_pauses_and_resumes_and_p_holds_or_frees_everything() {
        let t0 = Instant::now();
        let mut m = model(3);
        feed(&mut m, t0, 0, EventKind::Connecting { attempt: 1, of: 1 });
        let mut view = View::default();
        view.handle(Action::First, &m, t0);
        assert_eq!(
            view.handle(Action::TogglePause, &m, t0),
            Some(Command::Pause(TaskId::at(0)))
        );
        feed(&mut m, t0, 0, EventKind::Paused { count: 1 });
        assert!(m.downloads[0].paused);
        assert_eq!(
            view.handle(Action::TogglePause, &m, t0),
            Some(Command::Resume(TaskId::at(0)))
        );
        // One of three held: P holds them all.
        assert_eq!(
            view.handle(Action::TogglePauseAll, &m, t0),
            Some(Command::PauseAll)
        );
        feed(&mut m, t0, 1, EventKind::Paused { count: 2 });
        assert_eq!(m.totals().paused, 3, "a batch counts each download");
        assert_eq!(
            view.handle(Action::TogglePauseAll, &m, t0),
            Some(Command::ResumeAll)
        );
        // An ended download has nothing to pause.
        feed(&mut m, t0, 0, finished(5));
        assert!(!m.downloads[0].paused, "an end lifts the pause");
        assert_eq!(view.handle(Action::TogglePause, &m, t0), None);
        assert!(
            view.status(t0)
                .is_some_and(|s| s.contains("nothing to pause"))
        );
    }
}
