//! The playback controls: step back, play or pause, step, run to the end, reference by
//! reference, the speed, and the timeline over the whole trace.

use crate::i18n::{t, ta, Lang};
use crate::reducer::Msg;
use yew::prelude::*;

/// What the controls show.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The language spoken.
    pub lang: Lang,
    /// Playback is running.
    pub playing: bool,
    /// Milliseconds per step while playing.
    pub speed_ms: u32,
    /// The step shown.
    pub cursor: usize,
    /// The trace's steps.
    pub total: u64,
    /// Where the controls' messages go.
    pub dispatch: Callback<Msg>,
}

/// The playback toolbar.
#[function_component(Controls)]
pub fn controls(p: &Props) -> Html {
    let link = &p.dispatch;
    let l = p.lang;
    let onseek = link.reform(|e: InputEvent| {
        let v = e
            .target_unchecked_into::<web_sys::HtmlInputElement>()
            .value();
        Msg::Seek(v.parse().unwrap_or(0))
    });
    html! {
        <div class="controls" role="toolbar" aria-label={t(l, "controls")}>
            <button onclick={link.reform(|_| Msg::Back)} aria-label={t(l, "ctl-back-label")} title={t(l, "ctl-back-title")}>{ t(l, "ctl-back") }</button>
            <button onclick={link.reform(|_| Msg::TogglePlay)} aria-label={t(l, "ctl-play-label")} title={t(l, "ctl-play-title")}>
                { if p.playing { t(l, "ctl-pause") } else { t(l, "ctl-play") } }
            </button>
            <button onclick={link.reform(|_| Msg::Step)} aria-label={t(l, "ctl-step-label")} title={t(l, "ctl-step-title")}>{ t(l, "ctl-step") }</button>
            <button onclick={link.reform(|_| Msg::RunToEnd)} title={t(l, "ctl-end-title")}>{ t(l, "ctl-end") }</button>
            <span class="sub" role="group" aria-label={t(l, "ctl-refs")}>
                <button onclick={link.reform(|_| Msg::SubStep(false))} title={t(l, "ctl-ref-prev-title")}>{ t(l, "ctl-ref-prev") }</button>
                <button onclick={link.reform(|_| Msg::SubStep(true))} title={t(l, "ctl-ref-next-title")}>{ t(l, "ctl-ref-next") }</button>
            </span>
            <label class="speed">{ t(l, "ctl-speed") }{" "}
                <select aria-label={t(l, "ctl-speed-label")} onchange={link.reform(|e: yew::Event| {
                    Msg::Speed(e.target_unchecked_into::<web_sys::HtmlSelectElement>().value().parse().unwrap_or(400))
                })}>
                    <option value="1000" selected={p.speed_ms == 1000}>{ t(l, "ctl-slow") }</option>
                    <option value="400" selected={p.speed_ms == 400}>{ t(l, "ctl-normal") }</option>
                    <option value="100" selected={p.speed_ms == 100}>{ t(l, "ctl-fast") }</option>
                    <option value="16" selected={p.speed_ms == 16}>{ t(l, "ctl-fastest") }</option>
                </select>
            </label>
            <input type="range" min="0" max={p.total.to_string()} value={p.cursor.to_string()}
                oninput={onseek} aria-label={t(l, "ctl-timeline")} />
            <span class="position" id="position">{ ta(l, "ctl-position", &[("step", p.cursor.into()), ("total", p.total.into())]) }</span>
        </div>
    }
}
