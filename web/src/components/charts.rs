//! Charts of the steps so far: TLB misses per access, references per access, and cycles by
//! kind, with axes, units and a legend; none for a history too short to show anything.

use crate::state::{polyline, Series, CYCLE_KINDS};
use std::rc::Rc;
use yew::prelude::*;

/// What the charts show.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The values over the recorded steps.
    pub series: Rc<Series>,
    /// The first step charted.
    pub from: usize,
    /// The last step charted (the step shown).
    pub to: usize,
}

/// The charts.
#[function_component(Charts)]
pub fn charts(p: &Props) -> Html {
    let s = &p.series;
    let (from, to) = (p.from, p.to);
    let kinds: Vec<(&'static str, &'static str, &Vec<f64>)> = CYCLE_KINDS
        .iter()
        .zip(&s.cycles)
        .map(|((name, class, _), line)| (*class, *name, line))
        .collect();
    // Too short a history says nothing a chart could show.
    if p.series.miss_rate.len() < 8 {
        return html! {};
    }
    let chart = |title: &str, unit: &str, lines: &[(&'static str, &'static str, &Vec<f64>)]| {
        let max = lines
            .iter()
            .flat_map(|(_, _, v)| v.iter().copied())
            .fold(0.0f64, f64::max);
        let polys: Vec<Html> = lines
            .iter()
            .map(|(class, _, v)| {
                html! { <polyline class={*class} points={polyline(v, max, 240.0, 58.0)} /> }
            })
            .collect();
        let fmt = |v: f64| {
            if v >= 10_000.0 {
                format!("{:.0}k", v / 1000.0)
            } else if v >= 10.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.2}")
            }
        };
        html! {
            <figure class="chart">
                <figcaption>{ title }</figcaption>
                <svg viewBox="-34 -4 280 78" role="img" aria-label={format!("{title}, from step {from} to {to}")}>
                    <line x1="0" y1="60" x2="240" y2="60" class="axis" />
                    <line x1="0" y1="0" x2="0" y2="60" class="axis" />
                    <text x="-3" y="4" class="axis-label end">{ fmt(max) }</text>
                    <text x="-3" y="60" class="axis-label end">{"0"}</text>
                    <text x="0" y="71" class="axis-label">{ format!("step {from}") }</text>
                    <text x="240" y="71" class="axis-label end">{ format!("step {to}") }</text>
                    { for polys }
                </svg>
                <p class="legend">{ unit }
                    if lines.len() > 1 {
                        { for lines.iter().map(|(class, name, v)| html! {
                            <span class={classes!("key", *class)}>{ format!("{name} {}", fmt(v.last().copied().unwrap_or(0.0))) }</span>
                        }) }
                    } else {
                        { format!(" — now {}", fmt(lines[0].2.last().copied().unwrap_or(0.0))) }
                    }
                </p>
            </figure>
        }
    };
    html! {
        <div class="charts">
            { chart("TLB misses per access", "misses ÷ accesses, from the first access to each step (an access that exits, for a shadow page fault or an EPT violation, is looked up again when the guest retries it, so this can pass 1)", &[("miss", "misses", &s.miss_rate)]) }
            { chart("page-table references per access", "hardware references ÷ accesses so far", &[("refs", "references", &s.refs_per_access)]) }
            { chart("cycles so far, by kind", "the cost model's cycles: ", &kinds) }
        </div>
    }
}
