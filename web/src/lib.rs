//! # pagewalk-web
//!
//! The web app: the bundled scenarios in a gallery, an editor with errors at their line and
//! column, step-by-step playback of walks (the 2D grid of a nested walk, every reference
//! numbered), the TLB, and live counters. `state` (the player and what it shows), `practice`
//! (generated questions) and `reducer` (the app's state and its one transition function) are
//! pure and tested natively; `app` renders the state with Yew and carries out the reducer's
//! effects (URL, timer, storage).

#![forbid(unsafe_code)]

pub mod app;
pub mod components;
pub mod host;
pub mod i18n;
pub mod pages;
pub mod practice;
pub mod reducer;
pub mod state;
