//! Two lessons side by side: every counter that is not zero on either side with the
//! difference, and the cycles by kind as bars on one scale.

use yew::prelude::*;

/// The two lessons compared.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The left lesson's file name.
    pub left: String,
    /// The right lesson's file name.
    pub right: String,
}

/// The comparison page.
#[function_component(Compare)]
pub fn compare(p: &Props) -> Html {
    let (l, r) = (p.left.as_str(), p.right.as_str());
    let (Some(a), Some(b)) = (crate::state::run_side(l), crate::state::run_side(r)) else {
        return html! {
            <div class="lesson"><h2>{"Nothing to compare"}</h2>
            <p class="error">{ format!("no bundled lesson is named \"{l}\" or \"{r}\"") }</p></div>
        };
    };
    let what = crate::state::COMPARISONS
        .iter()
        .find(|(x, y, _)| *x == l && *y == r)
        .map_or("side by side", |(_, _, w)| *w);
    let rows = crate::state::compare_rows(&a.counters, &b.counters);
    // Each comparison names both sides in full: "VPID off | VPID on".
    let (left, right) = what.split_once(" | ").unwrap_or(("left", "right"));
    let kinds: Vec<(&str, &str, u64, u64)> = crate::state::CYCLE_KINDS
        .iter()
        .map(|(name, class, cycles)| (*name, *class, cycles(&a.counters), cycles(&b.counters)))
        .collect();
    let max = a.counters.cycles().max(b.counters.cycles()).max(1) as f64;
    let bar = |side: usize| {
        let mut x = 0.0;
        let segments: Vec<Html> = kinds
            .iter()
            .map(|(name, class, va, vb)| {
                let v = if side == 0 { *va } else { *vb };
                let w = 560.0 * v as f64 / max;
                let seg = html! {
                    <rect class={*class} x={format!("{x:.1}")} y="0" width={format!("{w:.1}")} height="22">
                        <title>{ format!("{name}: {v} cycles") }</title>
                    </rect>
                };
                x += w;
                seg
            })
            .collect();
        segments
    };
    let ticks: Vec<Html> = (0..=4)
        .map(|i| {
            let v = max * f64::from(i) / 4.0;
            let x = 560.0 * f64::from(i) / 4.0;
            html! {
                <g>
                    <line x1={format!("{x:.1}")} x2={format!("{x:.1}")} y1="0" y2="64" class="tick" />
                    <text x={format!("{x:.1}")} y="78" class="tick-label">{ format!("{:.0}k", v / 1000.0) }</text>
                </g>
            }
        })
        .collect();
    html! {
        <article class="compare" aria-label="Two lessons side by side">
            <h2>{ format!("Compare: {what}") }</h2>
            <div class="compare-cols">
                <div><h3><a href={format!("#scenario={}&step=0", a.name)}>{ &a.title }</a></h3><p>{ &a.lesson }</p>
                    if let Some(e) = &a.error { <p class="error">{ e }</p> }</div>
                <div><h3><a href={format!("#scenario={}&step=0", b.name)}>{ &b.title }</a></h3><p>{ &b.lesson }</p>
                    if let Some(e) = &b.error { <p class="error">{ e }</p> }</div>
            </div>
            <figure class="compare-chart">
                <figcaption>{"Cycles by kind, whole run (one scale for both; the cost model's cycles: 40 per memory reference, 1200 per VM exit round trip, ...)"}</figcaption>
                <svg viewBox="-110 -4 690 86" role="img" aria-label="cycles by kind for both lessons on one scale">
                    { for ticks }
                    <g transform="translate(0,4)">{ for bar(0) }</g>
                    <g transform="translate(0,34)">{ for bar(1) }</g>
                    <text x="-6" y="19" class="bar-label side">{ left }</text>
                    <text x="-6" y="49" class="bar-label side">{ right }</text>
                </svg>
                <p class="legend">
                    { for kinds.iter().map(|(name, class, _, _)| html! { <span class={classes!("key", *class)}>{ *name }</span> }) }
                    <span>{" — axis in thousands of cycles"}</span>
                </p>
            </figure>
            <table class="compare-table" tabindex="0" aria-label="Counters of both runs">
                <thead><tr><th scope="col">{"counter"}</th><th scope="col">{ left }</th><th scope="col">{ right }</th><th scope="col">{"difference"}</th></tr></thead>
                <tbody>
                { for rows.iter().map(|(k, x, y)| {
                    let d = *y as i128 - *x as i128;
                    html! {
                        <tr class={classes!((x != y).then_some("differs"))} title={pagewalk_core::Counters::meaning(k).unwrap_or_default()}>
                            <th scope="row">{
                                // KVM's own statistics keep KVM's names, marked as KVM's, so
                                // "tlb_flush" (KVM's requests) is not read as "tlb flushes".
                                match pagewalk_core::KVM_STATS.iter().find(|(_, key)| key == k && *key != "vm_exits") {
                                    Some((name, _)) => format!("KVM {name}"),
                                    None => k.replace('_', " "),
                                }
                            }</th>
                            <td data-left={*k}>{ *x }</td><td data-right={*k}>{ *y }</td>
                            <td>{ if d == 0 { String::new() } else { format!("{d:+}") } }</td>
                        </tr>
                    }
                }) }
                </tbody>
            </table>
        </article>
    }
}
