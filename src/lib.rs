//! poetry-dash: download poems from many poetry servers at once and watch
//! every download live.
//!
//! Data flows one way: the [`engine`] reports events, the [`model`] folds
//! them into plain data, and the reporters (and the dashboard) show the
//! model. Commands flow back to the engine through a [`engine::RunHandle`].

pub mod address;
pub mod app;
pub mod cli;
pub mod engine;
pub mod headless;
pub mod model;
pub mod netstring;
pub mod report;
pub mod run;
pub mod serve;
pub mod session;
pub mod text;
pub mod ui;
pub mod units;
