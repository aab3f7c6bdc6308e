//! Function components, one per panel, each with the props it shows and a `dispatch`
//! callback for the messages it sends to the reducer ([`crate::reducer`]).

pub mod address;
pub mod charts;
pub mod compare;
pub mod controls;
pub mod counters;
pub mod editor;
pub mod gallery;
pub mod glossary;
pub mod host;
pub mod host_panel;
pub mod kvm;
pub mod practice;
pub mod predict;
pub mod reading;
pub mod start;
pub mod title;
pub mod tlb;
pub mod walk;
