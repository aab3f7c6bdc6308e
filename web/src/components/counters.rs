//! The counters after the step shown, each with its meaning on hover, and KVM's own
//! statistics (the names `pagewalk kvm run` holds against real KVM) when the hypervisor did
//! anything.

use crate::i18n::{t, Lang};
use pagewalk_core::{Counters, COUNTER_KEYS};
use yew::prelude::*;

/// What the panel shows.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The language spoken.
    pub lang: Lang,
    /// The counters after the step shown.
    pub counters: Counters,
}

/// The counters panel.
#[function_component(CountersPanel)]
pub fn counters_panel(p: &Props) -> Html {
    let c = p.counters;
    let l = p.lang;
    // KVM's own statistics, when the hypervisor did anything: the same numbers
    // `pagewalk kvm run` holds against real KVM.
    let kvm: Vec<(&str, &str, u64)> = pagewalk_core::KVM_STATS
        .iter()
        .filter(|(_, key)| *key != "vm_exits")
        .map(|&(name, key)| (name, key, c.get(key).unwrap_or(0)))
        .filter(|(_, _, v)| *v > 0)
        .collect();
    html! {
        <>
        <table class="counters" aria-label={t(l, "counters-label")}>
            <tbody>
            { for COUNTER_KEYS.iter().map(|k| html! {
                <tr title={pagewalk_core::Counters::meaning(k, l).unwrap_or_default()}>
                    <th scope="row">{ t(l, &format!("counter-{k}")) }</th>
                    <td data-counter={*k}>{ c.get(k).unwrap_or(0) }</td></tr>
            }) }
            </tbody>
        </table>
        if !kvm.is_empty() {
            <table class="counters kvm" aria-label={t(l, "counters-kvm")}>
                <caption title={t(l, "counters-kvm-title")}>{ t(l, "counters-kvm") }</caption>
                <tbody>
                { for kvm.iter().map(|(name, key, v)| html! {
                    <tr title={pagewalk_core::Counters::meaning(key, l).unwrap_or_default()}>
                        <th scope="row">{ *name }</th>
                        <td data-counter={*key}>{ *v }</td></tr>
                }) }
                </tbody>
            </table>
        }
        </>
    }
}
