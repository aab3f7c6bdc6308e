//! Charts of the steps so far: TLB misses per access, references per access, and cycles by
//! kind, with axes, units and a legend; none for a history too short to show anything.

use crate::i18n::{t, ta, Lang};
use crate::state::{polyline, Series, CYCLE_KINDS};
use std::rc::Rc;
use yew::prelude::*;

/// What the charts show.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The language spoken.
    pub lang: Lang,
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
    let l = p.lang;
    let kinds: Vec<(&'static str, String, &Vec<f64>)> = CYCLE_KINDS
        .iter()
        .zip(&s.cycles)
        .map(|((_, class, _), line)| (*class, t(l, kind_message(class)), line))
        .collect();
    // Too short a history says nothing a chart could show.
    if p.series.miss_rate.len() < 8 {
        return html! {};
    }
    let step = |n: usize| ta(l, "chart-step", &[("step", (n as u64).into())]);
    let chart = |title: &str, unit: &str, lines: &[(&'static str, String, &Vec<f64>)]| {
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
            } else if v >= 10.0 || v.fract() == 0.0 {
                // Whole numbers (cycles, counts, and 0) without decimals; ratios with two.
                format!("{v:.0}")
            } else {
                format!("{v:.2}")
            }
        };
        html! {
            <figure class="chart">
                <figcaption>{ title }</figcaption>
                <svg viewBox="-34 -4 280 78" role="img" aria-label={ta(l, "chart-label", &[("title", title.into()), ("from", (from as u64).into()), ("to", (to as u64).into())])}>
                    <line x1="0" y1="60" x2="240" y2="60" class="axis" />
                    <line x1="0" y1="0" x2="0" y2="60" class="axis" />
                    <text x="-3" y="4" class="axis-label end">{ fmt(max) }</text>
                    <text x="-3" y="60" class="axis-label end">{"0"}</text>
                    <text x="0" y="71" class="axis-label">{ step(from) }</text>
                    <text x="240" y="71" class="axis-label end">{ step(to) }</text>
                    { for polys }
                </svg>
                <p class="legend">{ unit }{" "}
                    if lines.len() > 1 {
                        { for lines.iter().map(|(class, name, v)| html! {
                            <span class={classes!("key", *class)}>{ format!("{name} {}", fmt(v.last().copied().unwrap_or(0.0))) }</span>
                        }) }
                    } else {
                        { ta(l, "chart-now", &[("value", fmt(lines[0].2.last().copied().unwrap_or(0.0)).into())]) }
                    }
                </p>
            </figure>
        }
    };
    html! {
        <div class="charts">
            { chart(&t(l, "chart-misses"), &t(l, "chart-misses-unit"), &[("miss", String::new(), &s.miss_rate)]) }
            { chart(&t(l, "chart-refs"), &t(l, "chart-refs-unit"), &[("refs", String::new(), &s.refs_per_access)]) }
            { chart(&t(l, "chart-cycles"), &t(l, "chart-cycles-unit"), &kinds) }
        </div>
    }
}

/// The legend's message for a kind of cycles, by its CSS class in [`CYCLE_KINDS`].
fn kind_message(class: &str) -> &'static str {
    match class {
        "walk" => "chart-kind-walk",
        "vm" => "chart-kind-vm",
        "hv" => "chart-kind-hv",
        _ => "chart-kind-tlbc",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_cycles_has_its_legend_name() {
        for (name, class, _) in CYCLE_KINDS {
            assert_eq!(t(Lang::En, kind_message(class)), name, "{class}");
        }
    }
}
