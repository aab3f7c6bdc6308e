//! Two lessons side by side: every counter that is not zero on either side with the
//! difference, and the cycles by kind as bars on one scale.

use crate::components::host_panel::counter_name;
use crate::i18n::{t, ta, Lang};
use yew::prelude::*;

/// What the page shows.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The language spoken.
    pub lang: Lang,
    /// The left lesson's file name.
    pub left: String,
    /// The right lesson's file name.
    pub right: String,
}

/// The message naming what a comparison of [`crate::state::COMPARISONS`] shows ("VPID off |
/// VPID on"), by its left lesson.
fn comparison_message(left: &str) -> Option<&'static str> {
    Some(match left {
        "workload-under-shadow" => "compare-what-shadow-ept",
        "vpid-off" => "compare-what-vpid",
        "two-processes-pcid-off" => "compare-what-pcid",
        "guest-2m-pages-backing-4k" => "compare-what-host-pages",
        "kvm-hugetlb-2m-guest-dirty-clear" => "compare-what-prealloc",
        _ => return None,
    })
}

/// What a comparison shows, both sides named ("VPID off | VPID on"), in `lang`: the words of
/// [`crate::state::COMPARISONS`] (the English there when the catalogue lacks them), or "side
/// by side" for two lessons that are no comparison.
pub fn comparison_label(lang: Lang, left: &str, right: &str) -> String {
    match crate::state::COMPARISONS
        .iter()
        .find(|(x, y, _)| *x == left && *y == right)
    {
        Some((l, _, what)) => {
            comparison_message(l).map_or_else(|| (*what).to_owned(), |id| t(lang, id))
        }
        None => t(lang, "compare-side-by-side"),
    }
}

/// The message naming a kind of cycles of [`crate::state::CYCLE_KINDS`], by its CSS class.
fn kind_message(class: &str) -> &'static str {
    match class {
        "walk" => "compare-kind-walk",
        "vm" => "compare-kind-vm",
        "hv" => "compare-kind-hv",
        _ => "compare-kind-tlbc",
    }
}

/// The comparison page.
#[function_component(Compare)]
pub fn compare(p: &Props) -> Html {
    let lang = p.lang;
    let (l, r) = (p.left.as_str(), p.right.as_str());
    let (Some(a), Some(b)) = (crate::state::run_side(l), crate::state::run_side(r)) else {
        return html! {
            <div class="lesson"><h2>{ t(lang, "compare-nothing") }</h2>
            <p class="error">{ ta(lang, "compare-no-lesson", &[("left", l.into()), ("right", r.into())]) }</p></div>
        };
    };
    let what = comparison_label(lang, l, r);
    let rows = crate::state::compare_rows(&a.counters, &b.counters);
    // Each comparison names both sides in full: "VPID off | VPID on".
    let (left, right) = what
        .split_once(" | ")
        .map(|(x, y)| (x.to_owned(), y.to_owned()))
        .unwrap_or_else(|| (t(lang, "compare-left"), t(lang, "compare-right")));
    // The lessons' titles and one-line lessons in the language spoken.
    let entries = crate::state::gallery()
        .into_iter()
        .flat_map(|(_, e)| e)
        .filter(|e| e.name == a.name || e.name == b.name)
        .collect::<Vec<_>>();
    let words = |side: &crate::state::Side| {
        entries.iter().find(|e| e.name == side.name).map_or_else(
            || (side.title.clone(), side.lesson.clone()),
            |e| (e.title_in(lang).to_owned(), e.lesson_in(lang).to_owned()),
        )
    };
    let ((a_title, a_lesson), (b_title, b_lesson)) = (words(&a), words(&b));
    let kinds: Vec<(String, &str, u64, u64)> = crate::state::CYCLE_KINDS
        .iter()
        .map(|(_, class, cycles)| {
            (
                t(lang, kind_message(class)),
                *class,
                cycles(&a.counters),
                cycles(&b.counters),
            )
        })
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
                        <title>{ ta(lang, "compare-cycles-title", &[("kind", name.as_str().into()), ("cycles", v.to_string().into())]) }</title>
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
        <article class="compare" aria-label={t(lang, "compare-label")}>
            <h2>{ ta(lang, "compare-heading", &[("what", what.as_str().into())]) }</h2>
            <div class="compare-cols">
                <div><h3><a href={format!("#scenario={}&step=0", a.name)}>{ a_title }</a></h3><p>{ a_lesson }</p>
                    if let Some(e) = &a.error { <p class="error">{ e.display_in(lang) }</p> }</div>
                <div><h3><a href={format!("#scenario={}&step=0", b.name)}>{ b_title }</a></h3><p>{ b_lesson }</p>
                    if let Some(e) = &b.error { <p class="error">{ e.display_in(lang) }</p> }</div>
            </div>
            <figure class="compare-chart">
                <figcaption>{ t(lang, "compare-chart-caption") }</figcaption>
                <svg viewBox="-110 -4 690 86" role="img" aria-label={t(lang, "compare-chart-label")}>
                    { for ticks }
                    <g transform="translate(0,4)">{ for bar(0) }</g>
                    <g transform="translate(0,34)">{ for bar(1) }</g>
                    <text x="-6" y="19" class="bar-label side">{ left.clone() }</text>
                    <text x="-6" y="49" class="bar-label side">{ right.clone() }</text>
                </svg>
                <p class="legend">
                    { for kinds.iter().map(|(name, class, _, _)| html! { <span class={classes!("key", *class)}>{ name.clone() }</span> }) }
                    <span>{ t(lang, "compare-axis") }</span>
                </p>
            </figure>
            <table class="compare-table" tabindex="0" aria-label={t(lang, "compare-table-label")}>
                <thead><tr><th scope="col">{ t(lang, "compare-col-counter") }</th><th scope="col">{ left }</th><th scope="col">{ right }</th><th scope="col">{ t(lang, "compare-col-difference") }</th></tr></thead>
                <tbody>
                { for rows.iter().map(|(k, x, y)| {
                    let d = *y as i128 - *x as i128;
                    html! {
                        <tr class={classes!((x != y).then_some("differs"))} title={pagewalk_core::Counters::meaning(k, lang).unwrap_or_default()}>
                            <th scope="row">{
                                // KVM's own statistics keep KVM's names, marked as KVM's, so
                                // "tlb_flush" (KVM's requests) is not read as "tlb flushes".
                                match pagewalk_core::KVM_STATS.iter().find(|(_, key)| key == k && *key != "vm_exits") {
                                    Some((name, _)) => format!("KVM {name}"),
                                    None => counter_name(lang, k),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every comparison, cycle kind and counter the page can show has its words, and the
    /// English ones are the ones the page showed before it spoke Chinese.
    #[test]
    fn every_comparison_kind_and_counter_has_its_words() {
        for (l, r, what) in crate::state::COMPARISONS {
            let id = comparison_message(l).unwrap_or_else(|| panic!("{l}"));
            assert_eq!(t(Lang::En, id), *what, "{id}");
            assert!(t(Lang::ZhTw, id).contains(" | "), "{id}");
            assert_eq!(comparison_label(Lang::En, l, r), *what);
        }
        for (name, class, _) in crate::state::CYCLE_KINDS {
            assert_eq!(t(Lang::En, kind_message(class)), name, "{class}");
        }
        let c = crate::state::zero_counters();
        for (k, _) in c.entries() {
            if pagewalk_core::KVM_STATS
                .iter()
                .any(|(_, key)| *key == k && *key != "vm_exits")
            {
                continue;
            }
            let id = format!("counter-{k}");
            assert!(pagewalk_text::has(&id), "{id}");
            assert_eq!(t(Lang::En, &id), k.replace('_', " "), "{id}");
        }
    }
}
