//! The TLB panel: its entries after the step shown, the rows this step hit or filled, stale
//! ones, the step's flushes, and "see all".

use crate::i18n::{t, ta, Lang};
use crate::reducer::Msg;
use crate::state::{Player, TlbMark, TLB_SHOWN};
use pagewalk_core::{Event, TlbSlot};
use pagewalk_scenario::Action;
use std::rc::Rc;
use yew::prelude::*;

/// What the panel shows.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The language spoken.
    pub lang: Lang,
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
    pub fn of(p: &Player, all: bool, lang: Lang, dispatch: Callback<Msg>) -> Option<Props> {
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
            lang,
            rows: Rc::new(rows),
            len: frame.tlb_len,
            missed: matches!(&frame.action, Action::Access { outcome, .. } if outcome.tlb_hit.is_none()),
            flushes: frame
                .events
                .iter()
                .filter(|e| matches!(e, Event::Flush { .. }))
                .map(|e| e.describe(lang))
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
    let l = p.lang;
    let count = |n: usize| -> pagewalk_text::FluentValue<'static> { (n as u64).into() };
    html! {
        <div class="tlb">
            <h3 key={format!("h{cursor}")} class={classes!(missed.then_some("miss"))}>
                { ta(l, "tlb-heading", &[("count", count(p.len))]) }
                if missed { <span class="missed" title={t(l, "tlb-missed-title")}>{" "}{ t(l, "tlb-missed") }</span> }
            </h3>
            { for p.flushes.iter().map(|f| html! { <p class="flush">{ f }</p> }) }
            if p.len > TLB_SHOWN {
                <p class="tlb-count">
                    { if p.all {
                        ta(l, "tlb-count-all", &[("count", count(p.len))])
                    } else {
                        ta(l, "tlb-count-first", &[("shown", count(TLB_SHOWN)), ("count", count(p.len))])
                    } }{" "}
                    <button class="tlb-all" onclick={p.dispatch.reform(|_| Msg::ToggleTlbAll)}>
                        { t(l, if p.all { "tlb-show-few" } else { "tlb-see-all" }) }
                    </button>
                </p>
            }
            <div class={classes!("tlb-rows", p.all.then_some("all"))} tabindex="0" aria-label={t(l, "tlb-rows-label")}>
            <table aria-label={t(l, "tlb-table-label")}>
                <thead><tr>
                    <th title={t(l, "tlb-col-array-title")}>{ t(l, "tlb-col-array") }</th>
                    <th title={t(l, "tlb-col-slot-title")}>{ t(l, "tlb-col-slot") }</th>
                    <th title={t(l, "tlb-col-map-title")}>{"GVA → HPA"}</th>
                    <th title={t(l, "tlb-col-tags-title")}>{ t(l, "tlb-col-tags") }</th>
                </tr></thead>
                <tbody>
                { for p.rows.iter().enumerate().map(|(i, (s, stale, mark))| html! {
                    <tr key={format!("{cursor}.{i}")}
                        class={classes!(stale.then_some("stale"), match mark { TlbMark::Hit => Some("hit"), TlbMark::Fill => Some("fill"), TlbMark::Untouched => None })}
                        title={if *stale { t(l, "tlb-row-stale") } else { match mark { TlbMark::Hit => t(l, "tlb-row-hit"), TlbMark::Fill => t(l, "tlb-row-fill"), TlbMark::Untouched => String::new() } }}>
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
