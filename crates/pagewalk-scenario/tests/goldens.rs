//! Golden event logs of key scenarios, as the text `Event::describe` prints. A change here is
//! a change in what learners are told happened: review it like code.

use pagewalk_core::{CostModel, Recorder};
use pagewalk_scenario::{load, Session};
use std::path::Path;

/// The described events of the first `actions` actions of a bundled scenario.
fn log(name: &str, actions: usize) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios")
        .join(name);
    let scenario = load(&path).expect("bundled scenario is valid");
    let mut session = Session::new(scenario).expect("builds");
    let mut rec = Recorder::new(CostModel::default());
    let mut out = Vec::new();
    for _ in 0..actions {
        let before = rec.events.len();
        let Some(a) = session.next(&mut rec).expect("runs") else {
            break;
        };
        out.push(format!(
            "== action {} (trace entry {})",
            session.actions_done(),
            a.step() + 1
        ));
        out.extend(
            rec.events[before..]
                .iter()
                .map(|e| e.describe(pagewalk_core::Lang::En)),
        );
    }
    out.join("\n")
}

#[test]
fn ept_24_references() {
    insta::assert_snapshot!(log("ept-24-references.toml", 2));
}

#[test]
fn shadow_paging_basics() {
    insta::assert_snapshot!(log("shadow-paging-basics.toml", 4));
}

#[test]
fn stale_tlb_and_invlpg() {
    insta::assert_snapshot!(log("stale-tlb-and-invlpg.toml", 5));
}

#[test]
fn vpid_off_flushes() {
    insta::assert_snapshot!(log("vpid-off.toml", 34));
}
