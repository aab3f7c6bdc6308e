//! The host page (`#page=host`): how much RAM a host can give its VMs, what QEMU's `-m`
//! means, the huge pages a VM needs and the commands that set them up, the post's swap table,
//! and the lessons of the host's side. Every figure is the core's (`pagewalk_core::sizing`,
//! through [`crate::host`]); this only lays them out.

use crate::host::{self, gib, mib, size, Input, Inputs};
use crate::reducer::Msg;
use pagewalk_core::sizing::{parse_qemu_m, SWAP_TABLE};
use yew::prelude::*;

/// What the page shows.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// What the learner typed.
    pub inputs: Inputs,
    /// Where the page's messages go.
    pub dispatch: Callback<Msg>,
}

/// A text field's callback: its value, made into an [`Input`].
fn typed(dispatch: &Callback<Msg>, make: fn(String) -> Input) -> Callback<InputEvent> {
    dispatch.reform(move |e: InputEvent| {
        Msg::HostInput(make(
            e.target_unchecked_into::<web_sys::HtmlInputElement>()
                .value(),
        ))
    })
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// `navigator.clipboard.writeText` (throws where there is no clipboard: an insecure page).
    #[wasm_bindgen(js_namespace = ["navigator", "clipboard"], js_name = writeText, catch)]
    fn clipboard_write_text(
        text: &str,
    ) -> Result<wasm_bindgen_futures::js_sys::Promise, wasm_bindgen::JsValue>;
}

/// The commands of the planner, with a button that copies them.
#[derive(Properties, PartialEq)]
struct CommandsProps {
    lines: Vec<String>,
}

#[function_component(Commands)]
fn commands(p: &CommandsProps) -> Html {
    // Whether the last copy worked: a note for the learner, nothing the app keeps.
    let copied = use_state_eq(|| None::<bool>);
    let text = p.lines.join("\n");
    {
        // A new command line is not "copied" yet.
        let copied = copied.clone();
        use_effect_with(text.clone(), move |_| copied.set(None));
    }
    let onclick = {
        let copied = copied.clone();
        let text = text.clone();
        Callback::from(move |_: MouseEvent| {
            let copied = copied.clone();
            match clipboard_write_text(&text) {
                Ok(promise) => wasm_bindgen_futures::spawn_local(async move {
                    let ok = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
                    copied.set(Some(ok));
                }),
                Err(_) => copied.set(Some(false)),
            }
        })
    };
    html! {
        <div class="commands">
            <pre id="hp-commands" tabindex="0" aria-label="The commands, one per line"><code>{ text }</code></pre>
            <p class="copy-row">
                <button {onclick}>{"Copy the commands"}</button>
                <span aria-live="polite">{ match *copied {
                    Some(true) => " copied",
                    Some(false) => " this browser did not let the page copy: select the text instead",
                    None => "",
                } }</span>
            </p>
        </div>
    }
}

/// The host page.
#[function_component(HostPage)]
pub fn host_page(p: &Props) -> Html {
    let d = &p.dispatch;
    let i = &p.inputs;
    let ram = host::ram_for_vms_of(&i.ram_gib);
    let m = parse_qemu_m(i.qemu_m.trim());
    let plan = host::plan(&i.vm_m, i.page_1g, i.prealloc);
    let swap = host::swap_of(&i.swap_ram_gib);
    let first = host::post_first_example();
    let page_name = if i.page_1g { "1 GiB" } else { "2 MiB" };
    let lessons = crate::state::gallery()
        .into_iter()
        .flat_map(|(_, e)| e)
        .collect::<Vec<_>>();
    let title_of = |name: &str| {
        lessons
            .iter()
            .find(|e| e.name == name)
            .map_or_else(|| name.to_owned(), |e| e.title.clone())
    };
    html! {
        <article class="reading host-page">
            <h2>{"Host and VM memory"}</h2>
            <p>{"A VM is a QEMU process to the host: its guest RAM is the process's memory, given with "}<code>{"-m"}</code>{", taken from the host as the guest touches it, or all at once from a pool of huge pages. These calculators work out the post's numbers for your host with the same functions the simulator and "}<code>{"pagewalk host"}</code>{" use."}</p>

            <section aria-labelledby="ram-h">
                <h3 id="ram-h">{"How much RAM can the VMs have?"}</h3>
                <p>{"The post's rule of thumb: up to 64 GB of RAM, "}<code>{"RAM - 2 GB"}</code>{"; above, "}<code>{"RAM - (2 GB + 0.5 * RAM / 64)"}</code>{", another 0.5 GB kept for every 64 GB."}</p>
                <p class="field-row">
                    <label for="host-ram">{"Host RAM (GiB) "}</label>
                    <input id="host-ram" type="text" inputmode="decimal" autocomplete="off" size="8"
                        value={i.ram_gib.clone()} oninput={typed(d, Input::Ram)} />
                </p>
                { match &ram {
                    Ok(r) => html! {
                        <div id="ram-result" class="result" aria-live="polite">
                            <p><b>{"RAM for VMs: "}</b><output for="host-ram">{ gib(r.for_vms) }</output>
                                { format!(" (the host keeps {})", gib(r.reserved)) }</p>
                            <p class="formula-used">
                                if r.large {
                                    {"The host has more than 64 GB, so the second formula applies: "}
                                    <code>{ format!("{} - (2 + 0.5 * {} / 64)", trim_gib(r.host), trim_gib(r.host)) }</code>
                                } else {
                                    {"The host has at most 64 GB, so the first formula applies: "}
                                    <code>{ format!("{} - 2", trim_gib(r.host)) }</code>
                                }
                                { format!(" = {}", gib(r.for_vms)) }
                                if r.for_vms == 0 { {" (nothing is left for VMs)"} }
                            </p>
                        </div>
                    },
                    Err(e) => html! { <p id="ram-result" class="error" role="alert">{ e }</p> },
                } }
                <p class="note"><b>{"The post's first example is a slip: "}</b>{"it says a 32 GB host leaves "}<code>{"32 - 2 = 10"}</code>{" GB for VMs; the formula gives "}{ gib(first) }{". Its second example, 256 GB leaving 252, is right. The rule also leaves out what each VM costs beyond its "}<code>{"-m"}</code>{" (QEMU itself, the stage-2 or shadow tables): see "}<a href="#page=ram-for-vms">{"How much RAM can VMs have?"}</a>{"."}</p>
            </section>

            <section aria-labelledby="m-h">
                <h3 id="m-h">{"What does "}<code>{"-m"}</code>{" mean?"}</h3>
                <p>{"QEMU reads "}<code>{"-m"}</code>{" in MiB unless a suffix says otherwise ("}<code>{"K"}</code>{", "}<code>{"M"}</code>{", "}<code>{"G"}</code>{", "}<code>{"T"}</code>{"); the post starts its VMs with "}<code>{"-m 2048"}</code>{" and "}<code>{"-m 4G"}</code>{". Options after a comma ("}<code>{"slots="}</code>{", "}<code>{"maxmem="}</code>{", for memory added later) do not change the size the VM starts with."}</p>
                <p class="field-row">
                    <label for="qemu-m">{"What you would give -m "}</label>
                    <input id="qemu-m" type="text" autocomplete="off" spellcheck="false" size="24"
                        value={i.qemu_m.clone()} oninput={typed(d, Input::QemuM)} />
                </p>
                { match &m {
                    Ok(b) => html! {
                        <p id="m-result" class="result" aria-live="polite">
                            <code>{ format!("-m {}", i.qemu_m.trim()) }</code>{" is "}
                            <output for="qemu-m"><b>{ mib(*b) }</b></output>
                            { format!(" = {b} bytes") }
                            if b % (1 << 30) == 0 { { format!(" = {}", gib(*b)) } }
                        </p>
                    },
                    Err(e) => html! { <p id="m-result" class="error" role="alert">{ e.clone() }</p> },
                } }
            </section>

            <section aria-labelledby="hp-h">
                <h3 id="hp-h">{"Huge pages for a VM"}</h3>
                <p>{"Backing a VM with hugetlbfs takes a pool of huge pages set aside in advance: the post computes "}<code>{"2048 * 1024 / 2048 = 1024"}</code>{" pages of 2 MiB for a 2048 MiB VM, mounts hugetlbfs and starts QEMU with "}<code>{"-mem-path"}</code>{". Without "}<code>{"-mem-prealloc"}</code>{" the VM takes a page only when the guest first touches it; with it, QEMU takes them all before the guest runs."}</p>
                <div class="field-row planner">
                    <p>
                        <label for="vm-m">{"VM memory (-m) "}</label>
                        <input id="vm-m" type="text" autocomplete="off" spellcheck="false" size="10"
                            value={i.vm_m.clone()} oninput={typed(d, Input::VmSize)} />
                    </p>
                    <fieldset>
                        <legend>{"Huge page size"}</legend>
                        <label><input id="page-2m" type="radio" name="hp-size" checked={!i.page_1g}
                            onchange={d.reform(|_| Msg::HostInput(Input::Page1G(false)))} />{" 2 MiB"}</label>
                        <label><input id="page-1g" type="radio" name="hp-size" checked={i.page_1g}
                            onchange={d.reform(|_| Msg::HostInput(Input::Page1G(true)))} />{" 1 GiB"}</label>
                    </fieldset>
                    <p>
                        <label><input id="prealloc" type="checkbox" checked={i.prealloc}
                            onchange={d.reform(|e: Event| Msg::HostInput(Input::Prealloc(
                                e.target_unchecked_into::<web_sys::HtmlInputElement>().checked())))} />
                            {" -mem-prealloc (take every page at start-up)"}</label>
                    </p>
                </div>
                { match &plan {
                    Ok(pl) => html! {
                        <div class="result" aria-live="polite">
                            <p><b>{"Pages needed: "}</b><output id="hp-count" for="vm-m">{ pl.pages }</output>
                                { format!(" huge pages of {page_name} for a VM of {}", mib(pl.vm)) }
                                { format!(" ({} set aside", size(pl.pool)) }
                                if pl.pool > pl.vm { { format!(", rounded up from {}", mib(pl.vm)) } }
                                {")"}</p>
                            <p>{"The commands, in the post's order: check the page size and the pool, mount hugetlbfs, size the pool, start the VM from it."}</p>
                            <Commands lines={pl.commands.clone()} />
                        </div>
                    },
                    Err(e) => html! { <p id="hp-count" class="error" role="alert">{ e.clone() }</p> },
                } }
                <p>{"Watch it happen: "}
                    <a href="#scenario=hugetlbfs-738-free&step=0">{"without -mem-prealloc"}</a>{" (the post's "}<code>{"HugePages_Free 738"}</code>{"), and "}
                    <a href="#scenario=hugetlbfs-738-free-prealloc&step=0">{"with it"}</a>{": the lesson's Host memory panel shows the live "}<code>{"/proc/meminfo"}</code>{"."}</p>
            </section>

            <section aria-labelledby="swap-h">
                <h3 id="swap-h">{"How much swap?"}</h3>
                <p>{"The table the post quotes for swap:"}</p>
                <p class="field-row">
                    <label for="swap-ram">{"Host RAM (GiB) "}</label>
                    <input id="swap-ram" type="text" inputmode="decimal" autocomplete="off" size="8"
                        value={i.swap_ram_gib.clone()} oninput={typed(d, Input::SwapRam)} />
                </p>
                <table class="swap-table" aria-label="Recommended swap by system RAM">
                    <thead><tr><th scope="col">{"system RAM"}</th><th scope="col">{"recommended swap"}</th><th scope="col">{"your host"}</th></tr></thead>
                    <tbody>
                    { for SWAP_TABLE.iter().enumerate().map(|(row, (ram, swap_size))| {
                        let applies = swap.as_ref().ok().filter(|s| s.row == row);
                        html! {
                            <tr class={classes!(applies.is_some().then_some("applies"))}
                                aria-current={applies.is_some().then_some("true")}>
                                <td>{ *ram }</td><td>{ *swap_size }</td>
                                <td>{ applies.map(|s| format!("✓ {}", gib(s.ram))).unwrap_or_default() }</td>
                            </tr>
                        }
                    }) }
                    </tbody>
                </table>
                { match &swap {
                    Ok(s) => html! {
                        <p id="swap-result" class="result" aria-live="polite">
                            { format!("For {} of RAM the row is \u{201c}{}\u{201d}: at least ", gib(s.ram), pagewalk_core::sizing::SWAP_TABLE[s.row].0) }<b>{ gib(s.least) }</b>{" of swap."}
                        </p>
                    },
                    Err(e) => html! { <p id="swap-result" class="error" role="alert">{ e }</p> },
                } }
                <p class="note"><b>{"General advice, not a KVM sizing rule: "}</b>{"the table is Red Hat's advice for any RHEL 7 system (its Storage Administration Guide). How much swap an overcommitted KVM host needs depends on how much more it promises its VMs than it has, and how much of their memory is cold; and hugetlbfs memory is never swapped. See "}<a href="#page=overcommit">{"Memory overcommit"}</a>{"."}</p>
            </section>

            <section aria-labelledby="lessons-h">
                <h3 id="lessons-h">{"The host's side, step by step"}</h3>
                <p>{"Each of these lessons shows a Host memory panel beside the counters: the simulated "}<code>{"/proc/meminfo"}</code>{", each VM's memory, and the host's counters, at the step shown."}</p>
                <ul class="host-lessons">
                { for host::LESSONS.iter().map(|(name, watch)| html! {
                    <li><a href={format!("#scenario={name}&step=0")}>{ title_of(name) }</a>{" — "}{ *watch }</li>
                }) }
                </ul>
            </section>
        </article>
    }
}

/// Host RAM as the learner's number of GiB, for the formula written out.
fn trim_gib(bytes: u64) -> String {
    gib(bytes)
        .trim_start_matches("≈ ")
        .trim_end_matches(" GiB")
        .to_owned()
}
