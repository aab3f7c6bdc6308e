//! The host page (`#page=host`): how much RAM a host can give its VMs, what QEMU's `-m`
//! means, the huge pages a VM needs and the commands that set them up, the post's swap table,
//! and the lessons of the host's side. Every figure is the core's (`pagewalk_core::sizing`,
//! through [`crate::host`]); this only lays them out.

use crate::host::{self, gib, mib, size, Input, Inputs};
use crate::i18n::{t, ta, Lang};
use crate::reducer::Msg;
use pagewalk_core::sizing::{parse_qemu_m, SWAP_TABLE};
use yew::prelude::*;

/// A message whose code (commands, flags, formulas) is written between backticks: the text
/// with those spans in `<code>`.
pub fn code_spans(text: &str) -> Html {
    html! {
        <>{ for text.split('`').enumerate().map(|(i, part)| if i % 2 == 1 {
            html! { <code>{ part.to_owned() }</code> }
        } else {
            html! { { part.to_owned() } }
        }) }</>
    }
}

/// What the page shows.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The language spoken.
    pub lang: Lang,
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
    lang: Lang,
    lines: Vec<String>,
}

#[function_component(Commands)]
fn commands(p: &CommandsProps) -> Html {
    let l = p.lang;
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
            <pre id="hp-commands" tabindex="0" aria-label={t(l, "host-commands-label")}><code>{ text }</code></pre>
            <p class="copy-row">
                <button {onclick}>{ t(l, "host-copy") }</button>
                <span aria-live="polite">{ match *copied {
                    Some(true) => t(l, "host-copied"),
                    Some(false) => t(l, "host-copy-failed"),
                    None => String::new(),
                } }</span>
            </p>
        </div>
    }
}

/// The host page.
#[function_component(HostPage)]
pub fn host_page(p: &Props) -> Html {
    let d = &p.dispatch;
    let l = p.lang;
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
            .map_or_else(|| name.to_owned(), |e| e.title_in(l).to_owned())
    };
    html! {
        <article class="reading host-page">
            <h2>{ t(l, "host-title") }</h2>
            <p>{ code_spans(&t(l, "host-intro")) }</p>

            <section aria-labelledby="ram-h">
                <h3 id="ram-h">{ t(l, "host-ram-heading") }</h3>
                <p>{ code_spans(&t(l, "host-ram-rule")) }</p>
                <p class="field-row">
                    <label for="host-ram">{ t(l, "host-ram-label") }{" "}</label>
                    <input id="host-ram" type="text" inputmode="decimal" autocomplete="off" size="8"
                        value={i.ram_gib.clone()} oninput={typed(d, Input::Ram)} />
                </p>
                { match &ram {
                    Ok(r) => html! {
                        <div id="ram-result" class="result" aria-live="polite">
                            <p><b>{ t(l, "host-ram-for-vms") }{" "}</b><output for="host-ram">{ gib(r.for_vms) }</output>
                                { ta(l, "host-ram-keeps", &[("size", gib(r.reserved).into())]) }</p>
                            <p class="formula-used">
                                if r.large {
                                    { t(l, "host-formula-second") }{" "}
                                    <code>{ format!("{} - (2 + 0.5 * {} / 64)", trim_gib(r.host), trim_gib(r.host)) }</code>
                                } else {
                                    { t(l, "host-formula-first") }{" "}
                                    <code>{ format!("{} - 2", trim_gib(r.host)) }</code>
                                }
                                { format!(" = {}", gib(r.for_vms)) }
                                if r.for_vms == 0 { { t(l, "host-ram-nothing-left") } }
                            </p>
                        </div>
                    },
                    Err(e) => html! { <p id="ram-result" class="error" role="alert">{ e.text(l) }</p> },
                } }
                <p class="note"><b>{ t(l, "host-slip-title") }{" "}</b>{ code_spans(&ta(l, "host-slip", &[("gib", gib(first).into())])) }<a href="#page=ram-for-vms">{ t(l, "host-slip-link") }</a>{ t(l, "host-sentence-end") }</p>
            </section>

            <section aria-labelledby="m-h">
                <h3 id="m-h">{ code_spans(&t(l, "host-m-heading")) }</h3>
                <p>{ code_spans(&t(l, "host-m-intro")) }</p>
                <p class="field-row">
                    <label for="qemu-m">{ t(l, "host-m-label") }{" "}</label>
                    <input id="qemu-m" type="text" autocomplete="off" spellcheck="false" size="24"
                        value={i.qemu_m.clone()} oninput={typed(d, Input::QemuM)} />
                </p>
                { match &m {
                    Ok(b) => html! {
                        <p id="m-result" class="result" aria-live="polite">
                            <code>{ format!("-m {}", i.qemu_m.trim()) }</code>{ t(l, "host-m-is") }
                            <output for="qemu-m"><b>{ mib(*b) }</b></output>
                            { ta(l, "host-m-bytes", &[("bytes", b.to_string().into())]) }
                            if b % (1 << 30) == 0 { { format!(" = {}", gib(*b)) } }
                        </p>
                    },
                    Err(e) => html! { <p id="m-result" class="error" role="alert">{ code_spans(&e.text().say(l)) }</p> },
                } }
            </section>

            <section aria-labelledby="hp-h">
                <h3 id="hp-h">{ t(l, "host-hp-heading") }</h3>
                <p>{ code_spans(&t(l, "host-hp-intro")) }</p>
                <div class="field-row planner">
                    <p>
                        <label for="vm-m">{ t(l, "host-vm-label") }{" "}</label>
                        <input id="vm-m" type="text" autocomplete="off" spellcheck="false" size="10"
                            value={i.vm_m.clone()} oninput={typed(d, Input::VmSize)} />
                    </p>
                    <fieldset>
                        <legend>{ t(l, "host-hp-page-size") }</legend>
                        <label><input id="page-2m" type="radio" name="hp-size" checked={!i.page_1g}
                            onchange={d.reform(|_| Msg::HostInput(Input::Page1G(false)))} />{" 2 MiB"}</label>
                        <label><input id="page-1g" type="radio" name="hp-size" checked={i.page_1g}
                            onchange={d.reform(|_| Msg::HostInput(Input::Page1G(true)))} />{" 1 GiB"}</label>
                    </fieldset>
                    <p>
                        <label><input id="prealloc" type="checkbox" checked={i.prealloc}
                            onchange={d.reform(|e: Event| Msg::HostInput(Input::Prealloc(
                                e.target_unchecked_into::<web_sys::HtmlInputElement>().checked())))} />
                            {" "}{ t(l, "host-prealloc-label") }</label>
                    </p>
                </div>
                { match &plan {
                    Ok(pl) => html! {
                        <div class="result" aria-live="polite">
                            <p><b>{ t(l, "host-pages-needed") }{" "}</b><output id="hp-count" for="vm-m">{ pl.pages }</output>
                                { ta(l, "host-pages-of", &[
                                    ("count", pl.pages.into()),
                                    ("page", page_name.into()),
                                    ("vm", mib(pl.vm).into()),
                                ]) }
                                { if pl.pool > pl.vm {
                                    ta(l, "host-pool-rounded", &[("pool", size(pl.pool).into()), ("vm", mib(pl.vm).into())])
                                } else {
                                    ta(l, "host-pool", &[("pool", size(pl.pool).into())])
                                } }</p>
                            <p>{ t(l, "host-commands-intro") }</p>
                            <Commands lang={l} lines={pl.commands.clone()} />
                        </div>
                    },
                    Err(e) => html! { <p id="hp-count" class="error" role="alert">{ code_spans(&e.text(l)) }</p> },
                } }
                <p>{ t(l, "host-watch") }{" "}
                    <a href="#scenario=hugetlbfs-738-free&step=0">{ t(l, "host-watch-without") }</a>{ code_spans(&t(l, "host-watch-mid")) }
                    <a href="#scenario=hugetlbfs-738-free-prealloc&step=0">{ t(l, "host-watch-with") }</a>{ code_spans(&t(l, "host-watch-end")) }</p>
            </section>

            <section aria-labelledby="swap-h">
                <h3 id="swap-h">{ t(l, "host-swap-heading") }</h3>
                <p>{ t(l, "host-swap-intro") }</p>
                <p class="field-row">
                    <label for="swap-ram">{ t(l, "host-ram-label") }{" "}</label>
                    <input id="swap-ram" type="text" inputmode="decimal" autocomplete="off" size="8"
                        value={i.swap_ram_gib.clone()} oninput={typed(d, Input::SwapRam)} />
                </p>
                <table class="swap-table" aria-label={t(l, "host-swap-table")}>
                    <thead><tr><th scope="col">{ t(l, "host-swap-col-ram") }</th><th scope="col">{ t(l, "host-swap-col-swap") }</th><th scope="col">{ t(l, "host-swap-col-yours") }</th></tr></thead>
                    <tbody>
                    { for SWAP_TABLE.iter().enumerate().map(|(row, (ram, advice))| {
                        let applies = swap.as_ref().ok().filter(|s| s.row == row);
                        html! {
                            <tr class={classes!(applies.is_some().then_some("applies"))}
                                aria-current={applies.is_some().then_some("true")}>
                                <td>{ *ram }</td><td>{ advice.text().say(l) }</td>
                                <td>{ applies.map(|s| format!("✓ {}", gib(s.ram))).unwrap_or_default() }</td>
                            </tr>
                        }
                    }) }
                    </tbody>
                </table>
                { match &swap {
                    Ok(s) => html! {
                        <p id="swap-result" class="result" aria-live="polite">
                            { ta(l, "host-swap-result", &[("ram", gib(s.ram).into()), ("row", SWAP_TABLE[s.row].0.into())]) }<b>{ gib(s.least) }</b>{ t(l, "host-swap-result-end") }
                        </p>
                    },
                    Err(e) => html! { <p id="swap-result" class="error" role="alert">{ e.text(l) }</p> },
                } }
                <p class="note"><b>{ t(l, "host-swap-note-title") }{" "}</b>{ t(l, "host-swap-note") }<a href="#page=overcommit">{ t(l, "host-swap-note-link") }</a>{ t(l, "host-sentence-end") }</p>
            </section>

            <section aria-labelledby="lessons-h">
                <h3 id="lessons-h">{ t(l, "host-lessons-heading") }</h3>
                <p>{ code_spans(&t(l, "host-lessons-intro")) }</p>
                <ul class="host-lessons">
                { for host::LESSONS.iter().map(|(name, watch)| html! {
                    <li><a href={format!("#scenario={name}&step=0")}>{ title_of(name) }</a>{" — "}{ t(l, watch) }</li>
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
