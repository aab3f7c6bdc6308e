//! The player's host panel, for lessons with a host side: the simulated `/proc/meminfo`, each
//! VM's memory as the host sees it (a bar and a table), and the host's counters, all after the
//! step shown ([`crate::state::Player::host_report`]), with the core's narration of the step.

use crate::host::{meminfo_key, mib_short, size, sizes_alike};
use crate::i18n::{t, ta, Lang};
use crate::state::{HostReport, Player};
use pagewalk_core::{Counters, HOST_COUNTERS, VM_KEYS};
use yew::prelude::*;

/// What the panel shows.
#[derive(Properties, PartialEq, Clone)]
pub struct Props {
    /// The language spoken.
    pub lang: Lang,
    /// The host after the step shown.
    pub report: HostReport,
    /// The host before it, when known: lines that changed are marked.
    pub before: Option<HostReport>,
    /// The counters after the step shown.
    pub counters: Counters,
    /// The counters before it, if the step shown is not the first recorded.
    pub counters_before: Option<Counters>,
    /// The core's narration of the step (empty before the first).
    pub narration: String,
    /// The step shown.
    pub step: usize,
}

impl Props {
    /// The panel for the player's step in `lang`, or `None` for a lesson without a host side.
    pub fn of(p: &Player, lang: Lang) -> Option<Props> {
        let report = p.host_report()?;
        Some(Props {
            lang,
            report,
            before: p.host_report_before(),
            counters: p.counters(),
            counters_before: p.counters_before(),
            narration: p
                .current()
                .map(|f| pagewalk_core::view::narrate(&f.events, lang))
                .unwrap_or_default(),
            step: p.cursor,
        })
    }
}

/// What a VM's memory is made of, by [`VM_KEYS`] field: (the row's name, a short meaning),
/// as messages.
fn field_messages(field: &str) -> Option<(&'static str, &'static str)> {
    Some(match field {
        "committed" => ("host-field-committed", "host-field-committed-what"),
        "touched" => ("host-field-touched", "host-field-touched-what"),
        "resident" => ("host-field-resident", "host-field-resident-what"),
        "swapped" => ("host-field-swapped", "host-field-swapped-what"),
        "ballooned" => ("host-field-ballooned", "host-field-ballooned-what"),
        "shared" => ("host-field-shared", "host-field-shared-what"),
        "zero" => ("host-field-zero", "host-field-zero-what"),
        _ => return None,
    })
}

/// The segments of a VM's bar: (CSS class, legend's message, bytes). Resident memory is
/// drawn as its own pages and the KSM-shared ones; the rest of the bar is promised and never
/// touched.
fn segments(vm: &pagewalk_core::VmMemory) -> [(&'static str, &'static str, u64); 5] {
    [
        (
            "res",
            "host-seg-resident",
            vm.resident.saturating_sub(vm.shared),
        ),
        ("ksm", "host-seg-shared", vm.shared),
        ("swp", "host-seg-swapped", vm.swapped),
        ("bal", "host-seg-ballooned", vm.ballooned),
        ("zero", "host-seg-zero", vm.zero),
    ]
}

/// One VM's bar: its segments at `scale` bytes for the whole width.
fn bar(l: Lang, i: usize, vm: &pagewalk_core::VmMemory, scale: u64, end: &str) -> Html {
    let segs = segments(vm);
    let label = ta(
        l,
        "host-bar-label",
        &[
            ("vm", (i + 1).into()),
            ("promised", size(vm.committed).into()),
            (
                "parts",
                pagewalk_text::list(
                    l,
                    &segs
                        .iter()
                        .map(|(_, n, b)| format!("{} {}", t(l, n), size(*b)))
                        .collect::<Vec<_>>(),
                )
                .into(),
            ),
        ],
    );
    html! {
        <div class="vm-bar-row">
            <span class="vm-name">{ format!("VM {}", i + 1) }</span>
            <div class="vm-bar" role="img" aria-label={label}>
            { for segs.iter().filter(|(_, _, b)| *b > 0).map(|(class, name, b)| {
                let pct = if scale == 0 { 0.0 } else { *b as f64 * 100.0 / scale as f64 };
                html! { <span class={classes!("seg", *class)} style={format!("width: {pct:.3}%")}
                    title={ta(l, "host-seg-title", &[("name", t(l, name).into()), ("size", size(*b).into())])}></span> }
            }) }
            </div>
            <span class="vm-total">{ end.to_owned() }</span>
        </div>
    }
}

/// The host panel.
#[function_component(HostPanel)]
pub fn host_panel(p: &Props) -> Html {
    let l = p.lang;
    let r = &p.report;
    // Up or down since the step before, when that is known.
    let moved = |key: &str| {
        let before = p.before.as_ref()?.meminfo.get(key)?;
        let now = r.meminfo.get(key)?;
        (before != now).then_some(now > before)
    };
    let counters: Vec<(&str, u64, i128)> = HOST_COUNTERS
        .iter()
        .map(|k| {
            let now = p.counters.get(k).unwrap_or(0);
            let before = p.counters_before.map_or(now, |c| c.get(k).unwrap_or(0));
            (*k, now, i128::from(now) - i128::from(before))
        })
        .filter(|(_, now, delta)| *now > 0 || *delta != 0)
        .collect();
    let vms = r.vms.len();
    // What each VM has something behind (its bar's segments); when that is a sliver of what
    // was promised, a second set of bars shows it at one scale.
    let used = |vm: &pagewalk_core::VmMemory| segments(vm).iter().map(|(_, _, b)| *b).sum::<u64>();
    let used_max = r.vms.iter().map(used).max().unwrap_or(0);
    let committed_max = r.vms.iter().map(|v| v.committed).max().unwrap_or(0);
    let zoom = used_max > 0 && used_max * 4 < committed_max;
    html! {
        <section class="host-panel" aria-labelledby="host-panel-h">
            <h3 id="host-panel-h">{ t(l, "host-panel-title") }<small>{ ta(l, "host-panel-after", &[("step", p.step.into())]) }</small></h3>
            if !p.narration.is_empty() {
                <p class="host-narration"><b>{ t(l, "host-panel-this-step") }{" "}</b>{ &p.narration }</p>
            }
            <table class="meminfo" aria-label={t(l, "host-meminfo-label")}>
                <caption><code>{"/proc/meminfo"}</code>{ t(l, "host-meminfo-caption") }</caption>
                <tbody>
                { for r.meminfo.lines().into_iter().map(|line| {
                    let key = meminfo_key(&line).to_owned();
                    let kb = line.trim_end().ends_with(" kB");
                    let hint = r.meminfo.get(&key).filter(|_| kb).map(|v| mib_short(v << 10));
                    let moved = moved(&key);
                    html! {
                        <tr data-meminfo={key.clone()} class={classes!(moved.is_some().then_some("changed"))}>
                            <td><code>{ line }</code></td>
                            <td class="hint">
                                if let Some(up) = moved {
                                    <span class="changed-mark" title={t(l, if up { "host-rose" } else { "host-fell" })}>
                                        { if up { "↑ " } else { "↓ " } }
                                        <span class="sr-only">{ t(l, if up { "host-rose-sr" } else { "host-fell-sr" }) }</span>
                                    </span>
                                }
                                { hint.unwrap_or_default() }</td>
                        </tr>
                    }
                }) }
                </tbody>
            </table>
            <h4>{ if vms == 1 { t(l, "host-vm-memory-one") } else { ta(l, "host-vm-memory-many", &[("count", vms.into())]) } }</h4>
            <ul class="vm-legend" aria-label={t(l, "host-legend-label")}>
                <li class="legend-head">{ t(l, "host-legend-key") }</li>
                { for segments(&pagewalk_core::VmMemory::default()).iter().map(|(class, name, _)| html! {
                    <li><span class={classes!("swatch", *class)} aria-hidden="true"></span>{ t(l, name) }</li>
                }) }
                <li><span class="swatch untouched" aria-hidden="true"></span>{ t(l, "host-seg-untouched") }</li>
            </ul>
            <p class="bars-caption">{ t(l, "host-bars-caption") }</p>
            { for r.vms.iter().enumerate().map(|(i, vm)| bar(l, i, vm, vm.committed, &size(vm.committed))) }
            if zoom {
                <p class="bars-caption">{ ta(l, "host-bars-zoomed", &[("size", size(used_max).into())]) }</p>
                { for r.vms.iter().enumerate().map(|(i, vm)| bar(l, i, vm, used_max, &size(used(vm)))) }
            }
            <div class="vm-table-wrap" tabindex="0" aria-label={t(l, "host-vm-table-scroll")}>
            <table class="vm-table" aria-label={t(l, "host-vm-table")}>
                <thead><tr><th scope="col">{ t(l, "host-vm-col") }</th>
                    { for (1..=vms).map(|n| html! { <th scope="col">{ format!("VM {n}") }</th> }) }</tr></thead>
                <tbody>
                { for VM_KEYS.iter().map(|field| {
                    // One unit along a row, so the VMs compare at a glance.
                    let values: Vec<u64> = r.vms.iter().map(|vm| vm.get(field).unwrap_or(0) << 10).collect();
                    let (name, meaning) = field_messages(field)
                        .map_or_else(|| ((*field).to_owned(), String::new()), |(n, m)| (t(l, n), t(l, m)));
                    html! {
                        <tr title={meaning}>
                            <th scope="row">{ name }</th>
                            { for sizes_alike(&values).into_iter().enumerate().map(|(i, v)| html! {
                                <td data-vm={(i + 1).to_string()} data-field={*field}>{ v }</td>
                            }) }
                        </tr>
                    }
                }) }
                </tbody>
            </table>
            </div>
            if !counters.is_empty() {
                <table class="counters host-counters" aria-label={t(l, "host-counters")}>
                    <caption>{ t(l, "host-counters") }</caption>
                    <thead><tr><th scope="col">{ t(l, "host-col-counter") }</th><th scope="col">{ t(l, "host-col-so-far") }</th><th scope="col">{ t(l, "host-col-this-step") }</th></tr></thead>
                    <tbody>
                    { for counters.iter().map(|(k, now, delta)| html! {
                        <tr title={Counters::meaning(k, l).unwrap_or_default()}>
                            <th scope="row">{ counter_name(l, k) }</th>
                            <td data-counter={*k}>{ *now }</td>
                            <td class="delta">{ match delta { 0 => String::new(), d if *d > 0 => format!("+{d}"), d => format!("\u{2212}{}", d.unsigned_abs()) } }</td>
                        </tr>
                    }) }
                    </tbody>
                </table>
            }
        </section>
    }
}

/// A counter's name in `lang`: the catalogue's `counter-<key>`, or the key with spaces.
pub fn counter_name(l: Lang, key: &str) -> String {
    let id = format!("counter-{key}");
    if pagewalk_text::has(&id) {
        t(l, &id)
    } else {
        key.replace('_', " ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_segment_and_host_counter_has_its_words() {
        for field in pagewalk_core::VM_KEYS {
            let (n, m) = field_messages(field).unwrap_or_else(|| panic!("{field}"));
            assert!(pagewalk_text::has(n) && pagewalk_text::has(m), "{field}");
            assert_eq!(t(Lang::En, n), field, "the English row is the field");
        }
        for (_, name, _) in segments(&pagewalk_core::VmMemory::default()) {
            assert!(pagewalk_text::has(name), "{name}");
        }
        for k in HOST_COUNTERS {
            let id = format!("counter-{k}");
            assert!(pagewalk_text::has(&id), "{id}");
            assert_eq!(counter_name(Lang::En, k), k.replace('_', " "), "{id}");
        }
    }
}
