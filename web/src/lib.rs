//! # pagewalk-web
//!
//! The web app: the bundled scenarios in a gallery, an editor with errors at their line and
//! column, step-by-step playback of walks (the 2D grid of a nested walk, every reference
//! numbered), the TLB, and live counters. `state` is the pure part, tested natively; `app`
//! renders it with Yew.

#![forbid(unsafe_code)]

pub mod app;
pub mod pages;
pub mod practice;
pub mod state;
