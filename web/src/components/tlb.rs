//! The TLB panel: its entries after the step shown, the rows this step hit or filled, stale
//! ones, the step's flushes, and "see all".

use crate::reducer::Msg;
use crate::state::{Player, TlbMark, TLB_SHOWN};
use pagewalk_core::{Event, TlbSlot};
use pagewalk_scenario::Action;
use std::rc::Rc;
use yew::prelude::*;

/// What the panel shows.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The entries listed, each with whether it is stale and what the step did to it.
    pub rows: Rc<Vec<(TlbSlot, bool, TlbMark)>>,
    /// How many entries the TLB holds.
    pub len: usize,
    /// The step's access missed the TLB.
    pub missed: bool,
    /// The step's flushes, as sentences.
    pub flushes: Vec<String>,
    /// The step shown: rows are keyed by it, so a row hit twice in a row flashes again.
    pub step: usize,
    /// Every entry is listed, not the first [`TLB_SHOWN`].
    pub all: bool,
    /// Where the panel's messages go.
    pub dispatch: Callback<Msg>,
}

impl Props {
    /// The panel for the step the player shows (every entry read from the machine when `all`),
    /// or `None` before the first action.
    pub fn of(p: &Player, all: bool, dispatch: Callback<Msg>) -> Option<Props> {
        let frame = p.current()?;
        let rows: Vec<(TlbSlot, bool, TlbMark)> = if all {
            p.full_tlb()
        } else {
            frame
                .tlb
                .iter()
                .zip(&frame.stale)
                .zip(&frame.marks)
                .map(|((s, stale), mark)| (*s, *stale, *mark))
                .collect()
        };
        Some(Props {
            rows: Rc::new(rows),
            len: frame.tlb_len,
            missed: matches!(&frame.action, Action::Access { outcome, .. } if outcome.tlb_hit.is_none()),
            flushes: frame
                .events
                .iter()
                .filter(|e| matches!(e, Event::Flush { .. }))
                .map(Event::describe)
                .collect(),
            step: p.cursor,
            all,
            dispatch,
        })
    }
}

/// The TLB panel.
#[function_component(TlbPanel)]
pub fn tlb_panel(p: &Props) -> Html {
    let cursor = p.step;
    let missed = p.missed;
    html! {
        <div class="tlb">
            <h3 key={format!("h{cursor}")} class={classes!(missed.then_some("miss"))}>
                { format!("TLB: {} entries", p.len) }
                if missed { <span class="missed" title="this access was not in the TLB: the hardware walked the page tables">{" miss"}</span> }
            </h3>
            { for p.flushes.iter().map(|f| html! { <p class="flush">{ f }</p> }) }
            if p.len > TLB_SHOWN {
                <p class="tlb-count">
                    { if p.all {
                        format!("all {} entries, in array order ", p.len)
                    } else {
                        format!("the first {TLB_SHOWN} of {} entries, in array order ", p.len)
                    } }
                    <button class="tlb-all" onclick={p.dispatch.reform(|_| Msg::ToggleTlbAll)}>
                        { if p.all { "show the first few" } else { "see all" } }
                    </button>
                </p>
            }
            <div class={classes!("tlb-rows", p.all.then_some("all"))} tabindex="0" aria-label="TLB entries, scrollable">
            <table aria-label="TLB entries">
                <thead><tr>
                    <th title="which TLB array holds the entry">{"array"}</th>
                    <th title="set and way in that array">{"slot"}</th>
                    <th title="guest virtual page → host-physical page, and the page size">{"GVA → HPA"}</th>
                    <th title="tags: VPID (virtual CPU), PCID (process), G (global: survives CR3 writes)">{"tags"}</th>
                </tr></thead>
                <tbody>
                { for p.rows.iter().enumerate().map(|(i, (s, stale, mark))| html! {
                    <tr key={format!("{cursor}.{i}")}
                        class={classes!(stale.then_some("stale"), match mark { TlbMark::Hit => Some("hit"), TlbMark::Fill => Some("fill"), TlbMark::Untouched => None })}
                        title={if *stale { "stale: the page tables now say otherwise" } else { match mark { TlbMark::Hit => "hit by this access", TlbMark::Fill => "filled by this walk", TlbMark::Untouched => "" } }}>
                        <td>{ s.array.name() }</td>
                        <td>{ format!("{}.{}", s.set, s.way) }</td>
                        <td class="map">{ format!("{} → {}", s.entry.gva(), s.entry.hpa) }<small>{ format!(" {}", s.entry.size.name()) }</small></td>
                        <td class="tags">{ format!("V{} P{}{}", s.entry.tag.vpid(), s.entry.tag.pcid(), if s.entry.global { " G" } else { "" }) }</td>
                    </tr>
                }) }
                </tbody>
            </table>
            </div>
        </div>
    }
}
