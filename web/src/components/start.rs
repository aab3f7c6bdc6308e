//! The start page: the four address spaces and what maps each to the next, what the panels
//! show, the keys, and the path through the lessons.

use crate::reducer::Msg;
use crate::state::gallery;
use yew::prelude::*;

/// What the start page shows.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// Where the learner left off last time (a link), if anywhere but here.
    pub resume: Option<String>,
    /// Where the page's messages go.
    pub dispatch: Callback<Msg>,
}

/// The start page.
#[function_component(StartPage)]
pub fn start_page(p: &Props) -> Html {
    html! {
        <article class="reading start">
            <h2>{"How a CPU and a hypervisor translate memory"}</h2>
            <p>{"A program in a virtual machine uses addresses that pass through four address spaces before they reach a byte of RAM. Each step has its own map, kept by someone else. pagewalk shows every step a CPU and KVM take, reference by reference, and checks its model of KVM against the real /dev/kvm."}</p>
            <figure class="spaces" aria-label="The four address spaces">
                <ol class="chain">
                    <li class="space"><b>{"GVA"}</b><span>{"guest virtual"}</span><small>{"what a guest program uses"}</small></li>
                    <li class="map">{"guest page tables"}<small>{"kept by the guest kernel; root in CR3"}</small></li>
                    <li class="space"><b>{"GPA"}</b><span>{"guest physical"}</span><small>{"what the guest thinks is RAM"}</small></li>
                    <li class="map">{"memslots"}<small>{"kept by the VMM (QEMU): guest RAM is its memory"}</small></li>
                    <li class="space"><b>{"HVA"}</b><span>{"host virtual"}</span><small>{"the VMM process's addresses"}</small></li>
                    <li class="map">{"host page tables"}<small>{"kept by the host kernel; change with swap, KSM, THP, compaction"}</small></li>
                    <li class="space"><b>{"HPA"}</b><span>{"host physical"}</span><small>{"where the byte is"}</small></li>
                </ol>
                <figcaption>
                    <p><b>{"What the CPU walks."}</b>{" The CPU cannot read the middle two maps, so KVM composes them into tables it can walk: under EPT (Intel) or NPT (AMD), stage-2 tables map GPA → HPA and the CPU walks the guest's tables and those, a two-dimensional walk of up to 24 references (35 with 5 levels); under shadow paging, shadow tables map GVA → HPA directly, and KVM keeps them in step with the guest's tables in software."}</p>
                    <p><b>{"When the host changes its mind."}</b>{" If the host moves or frees the page behind an HVA (swap, KSM, compaction, THP), an MMU notifier tells KVM, which drops its stage-2 or shadow entries; the guest's next touch faults and KVM maps the page again."}</p>
                </figcaption>
            </figure>
            <h3>{"What the panels show"}</h3>
            <ul>
                <li><b>{"The walk"}</b>{": for a two-dimensional walk, a grid whose rows are the guest entries read and whose columns are the stage-2 levels walked for each, every reference numbered in the order the hardware makes it; below it, every event of the access in order (TLB lookups, table reads, faults, VM exits, what the hypervisor did)."}</li>
                <li><b>{"Counters"}</b>{": what happened so far, folded from those events; KVM's own statistics come from the same events."}</li>
                <li><b>{"Address"}</b>{": the bits of the address, split into the indexes each level uses."}</li>
                <li><b>{"TLB"}</b>{": the cached translations, with the array and slot that hold them and their tags (VPID, PCID)."}</li>
                <li><b>{"Shadow view"}</b>{" (shadow paging): the guest's entries beside the hypervisor's shadow entries."}</li>
            </ul>
            <h3>{"Keys"}</h3>
            <p>{"→ next access, ← previous, ↓ / ↑ one event of the access at a time, space play or pause, End run to the end."}</p>
            if let Some(last) = &p.resume {
                <p class="resume"><a href={last.clone()}>{"Continue where you left off"}</a></p>
            }
            <h3>{"The path"}</h3>
            <p>{"The lessons follow the post pagewalk teaches. Start with the first; each lesson's page says what to look at."}</p>
            <ol class="path">
            { for gallery().into_iter().filter(|(_, e)| !e.is_empty()).map(|(topic, entries)| {
                let first = entries[0].name.clone();
                let onclick = p.dispatch.reform(move |_: MouseEvent| Msg::Open(first.clone()));
                html! {
                    <li>
                        <b>{ topic }</b>{": "}
                        <button class="linkish" {onclick}>{ &entries[0].title }</button>
                        if entries.len() > 1 {
                            <small>{ format!(" and {} more", entries.len() - 1) }</small>
                        }
                    </li>
                }
            }) }
            </ol>
            <p>{"Also: "}<a href="#page=post-claims">{"what the post says, and what holds today"}</a>{"; "}
                <a href="#page=host">{"host and VM memory"}</a>{": how much RAM VMs can have, what -m means, the huge pages a VM needs, swap."}</p>
        </article>
    }
}
