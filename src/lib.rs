//! redline: a revision tracker for published documents.
//!
//! redline captures publication pages, reduces each to the publication itself
//! (a [`Document`](document::Document)), records every version in a git
//! repository, and shows what changed between two versions as a
//! paragraph-level redline (a [`DocDiff`](diff::DocDiff)).
//!
//! The crate is a pipeline of stages, each a module with one plain value
//! between them:
//!
//! ```text
//! fetch ─► Capture ─► normalize ─► Document ─► store (git commit)
//!                                    │
//!            store history ─► Document, Document ─► diff ─► DocDiff ─► render
//! ```
//!
//! - [`fetch`] reads a page into a [`Capture`](fetch::Capture);
//! - [`normalize`] turns a capture into a [`Document`](document::Document),
//!   guided by site [profiles](normalize::profile);
//! - [`store`] keeps documents as versions in a git repository;
//! - [`diff`] compares two documents;
//! - [`history`] answers questions over many versions (blame);
//! - [`render`] shows a diff to people (terminal) and programs (JSON);
//! - [`report`] publishes a period's changes (Atom feed, static site, JSON);
//! - [`cli`] wires the stages into the `redline` command.
//!
//! A whole round trip, in memory:
//!
//! ```
//! use redline::document::markdown::parse_document;
//! use redline::diff::{diff, DiffOptions};
//!
//! let old = parse_document("# Facts\n\nThe treaty was signed in 1960.\n");
//! let new = parse_document("# Facts\n\nThe treaty was signed in 1961.\n");
//! let changes = diff(&old, &new, &DiffOptions::default());
//! assert_eq!(changes.stats.body.modified, 1);
//! ```

pub mod batch;
pub mod cli;
pub mod diff;
pub mod document;
pub mod error;
pub mod exit_codes;
pub mod fetch;
mod heap;
pub mod history;
pub mod limits;
pub mod normalize;
mod parallel;
pub mod render;
pub mod report;
pub mod store;
