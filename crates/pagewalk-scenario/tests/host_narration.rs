//! The narration says what the host did to guest memory at each host step (it used to say
//! "Nothing is flushed and nothing exits" after a swap-out that dropped KVM's entries).

use pagewalk_core::{view::narrate, Recorder};
use pagewalk_scenario::Session;

/// The narration of each trace entry of a bundled scenario.
fn narrations(name: &str) -> Vec<String> {
    let path = format!("{}/../../scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    let sc = pagewalk_scenario::load(std::path::Path::new(&path)).unwrap();
    let steps = sc.trace.len();
    let mut s = Session::new(sc).unwrap();
    let mut out = vec![String::new(); steps];
    loop {
        let mut r = Recorder::new(pagewalk_core::CostModel::default());
        let Some(a) = s.next(&mut r).unwrap() else {
            break;
        };
        let n = narrate(&r.events, pagewalk_core::Lang::En);
        let slot = &mut out[a.step()];
        if slot.is_empty() {
            *slot = n;
        }
    }
    out
}

#[test]
fn swap_balloon_ksm_and_refusals_are_narrated() {
    let swap = narrations("swap-out-and-back");
    assert!(
        swap[1].contains("to swap")
            && swap[1].contains("MMU notifier")
            && swap[1].contains("drop 64 entries"),
        "{}",
        swap[1]
    );
    assert!(swap[2].contains("came back from swap"), "{}", swap[2]);
    let balloon = narrations("balloon-inflate-and-touch");
    assert!(
        balloon[1].contains("given back by the balloon")
            && balloon[1].contains("balloon now holds 32"),
        "{}",
        balloon[1]
    );
    assert!(!balloon[2].contains("Nothing is flushed"), "{}", balloon[2]);
    let ksm = narrations("ksm-identical-pages");
    assert!(
        ksm[2].contains("KSM finished a full scan: 1 KSM page shared by 63 more pages"),
        "{}",
        ksm[2]
    );
    assert!(ksm[2].contains("merged by KSM"), "{}", ksm[2]);
    let huge = narrations("hugetlbfs-cannot-swap");
    assert!(huge[1].contains("cannot be paged out"), "{}", huge[1]);
    let thp = narrations("thp-split-by-balloon");
    assert!(
        thp[1].contains("split a 2 MiB transparent huge page"),
        "{}",
        thp[1]
    );
}
