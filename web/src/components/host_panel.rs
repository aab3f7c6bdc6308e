//! The player's host panel, for lessons with a host side: the simulated `/proc/meminfo`, each
//! VM's memory as the host sees it (a bar and a table), and the host's counters, all after the
//! step shown ([`crate::state::Player::host_report`]), with the core's narration of the step.

use crate::host::{meminfo_key, mib_short, size, sizes_alike};
use crate::state::{HostReport, Player};
use pagewalk_core::{Counters, HOST_COUNTERS, VM_KEYS};
use yew::prelude::*;

/// What the panel shows.
#[derive(Properties, PartialEq, Clone)]
pub struct Props {
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
    /// The panel for the player's step, or `None` for a lesson without a host side.
    pub fn of(p: &Player) -> Option<Props> {
        let report = p.host_report()?;
        Some(Props {
            report,
            before: p.host_report_before(),
            counters: p.counters(),
            counters_before: p.counters_before(),
            narration: p
                .current()
                .map(|f| pagewalk_core::view::narrate(&f.events))
                .unwrap_or_default(),
            step: p.cursor,
        })
    }
}

/// What a VM's memory is made of, by [`VM_KEYS`] field: a short meaning for the table's row.
fn field_meaning(field: &str) -> &'static str {
    match field {
        "committed" => "what -m promised the guest",
        "touched" => "what the guest has touched and still has something behind: resident, swapped or the zero page",
        "resident" => "in host RAM (anonymous memory or hugetlbfs pages), KSM-shared pages included",
        "swapped" => "written to the host's swap",
        "ballooned" => "in the balloon: given back to the host",
        "shared" => "mapped to a KSM page shared with other pages",
        "zero" => "mapped to the host's zero page: no memory of its own",
        _ => "",
    }
}

/// The segments of a VM's bar: (CSS class, legend, bytes). Resident memory is drawn as its
/// own pages and the KSM-shared ones; the rest of the bar is promised and never touched.
fn segments(vm: &pagewalk_core::VmMemory) -> [(&'static str, &'static str, u64); 5] {
    [
        ("res", "resident", vm.resident.saturating_sub(vm.shared)),
        ("ksm", "shared (KSM)", vm.shared),
        ("swp", "swapped", vm.swapped),
        ("bal", "ballooned", vm.ballooned),
        ("zero", "zero page", vm.zero),
    ]
}

/// One VM's bar: its segments at `scale` bytes for the whole width.
fn bar(i: usize, vm: &pagewalk_core::VmMemory, scale: u64, end: &str) -> Html {
    let segs = segments(vm);
    let label = format!(
        "VM {}: of {} promised, {}",
        i + 1,
        size(vm.committed),
        segs.iter()
            .map(|(_, n, b)| format!("{n} {}", size(*b)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    html! {
        <div class="vm-bar-row">
            <span class="vm-name">{ format!("VM {}", i + 1) }</span>
            <div class="vm-bar" role="img" aria-label={label}>
            { for segs.iter().filter(|(_, _, b)| *b > 0).map(|(class, name, b)| {
                let pct = if scale == 0 { 0.0 } else { *b as f64 * 100.0 / scale as f64 };
                html! { <span class={classes!("seg", *class)} style={format!("width: {pct:.3}%")}
                    title={format!("{name}: {}", size(*b))}></span> }
            }) }
            </div>
            <span class="vm-total">{ end.to_owned() }</span>
        </div>
    }
}

/// The host panel.
#[function_component(HostPanel)]
pub fn host_panel(p: &Props) -> Html {
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
            <h3 id="host-panel-h">{"Host memory"}<small>{ format!(" after step {}", p.step) }</small></h3>
            if !p.narration.is_empty() {
                <p class="host-narration"><b>{"This step: "}</b>{ &p.narration }</p>
            }
            <table class="meminfo" aria-label="/proc/meminfo, simulated">
                <caption><code>{"/proc/meminfo"}</code>{" (the VMs' memory only)"}</caption>
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
                                    <span class="changed-mark" title={if up { "rose this step" } else { "fell this step" }}>
                                        { if up { "↑ " } else { "↓ " } }
                                        <span class="sr-only">{ if up { "rose this step: " } else { "fell this step: " } }</span>
                                    </span>
                                }
                                { hint.unwrap_or_default() }</td>
                        </tr>
                    }
                }) }
                </tbody>
            </table>
            <h4>{ if vms == 1 { "The VM's memory".to_owned() } else { format!("Each VM's memory ({vms} VMs)") } }</h4>
            <ul class="vm-legend" aria-label="What the bars show">
                <li class="legend-head">{"Key:"}</li>
                { for segments(&pagewalk_core::VmMemory::default()).iter().map(|(class, name, _)| html! {
                    <li><span class={classes!("swatch", *class)} aria-hidden="true"></span>{ *name }</li>
                }) }
                <li><span class="swatch untouched" aria-hidden="true"></span>{"promised, never touched"}</li>
            </ul>
            <p class="bars-caption">{"Each bar is what -m promised the VM:"}</p>
            { for r.vms.iter().enumerate().map(|(i, vm)| bar(i, vm, vm.committed, &size(vm.committed))) }
            if zoom {
                <p class="bars-caption">{ format!("Zoomed in: what each VM touched or gave to the balloon, one scale for every VM (the whole width is {})", size(used_max)) }</p>
                { for r.vms.iter().enumerate().map(|(i, vm)| bar(i, vm, used_max, &size(used(vm)))) }
            }
            <div class="vm-table-wrap" tabindex="0" aria-label="Each VM's memory, scrollable">
            <table class="vm-table" aria-label="Each VM's memory">
                <thead><tr><th scope="col">{"memory"}</th>
                    { for (1..=vms).map(|n| html! { <th scope="col">{ format!("VM {n}") }</th> }) }</tr></thead>
                <tbody>
                { for VM_KEYS.iter().map(|field| {
                    // One unit along a row, so the VMs compare at a glance.
                    let values: Vec<u64> = r.vms.iter().map(|vm| vm.get(field).unwrap_or(0) << 10).collect();
                    html! {
                        <tr title={field_meaning(field)}>
                            <th scope="row">{ *field }</th>
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
                <table class="counters host-counters" aria-label="The host's counters">
                    <caption>{"The host's counters"}</caption>
                    <thead><tr><th scope="col">{"counter"}</th><th scope="col">{"so far"}</th><th scope="col">{"this step"}</th></tr></thead>
                    <tbody>
                    { for counters.iter().map(|(k, now, delta)| html! {
                        <tr title={Counters::meaning(k).unwrap_or_default()}>
                            <th scope="row">{ k.replace('_', " ") }</th>
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
