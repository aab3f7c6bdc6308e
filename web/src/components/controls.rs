//! The playback controls: step back, play or pause, step, run to the end, reference by
//! reference, the speed, and the timeline over the whole trace.

use crate::reducer::Msg;
use yew::prelude::*;

/// What the controls show.
#[derive(Properties, PartialEq)]
pub struct Props {
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
    let onseek = link.reform(|e: InputEvent| {
        let v = e
            .target_unchecked_into::<web_sys::HtmlInputElement>()
            .value();
        Msg::Seek(v.parse().unwrap_or(0))
    });
    html! {
        <div class="controls" role="toolbar" aria-label="Playback">
            <button onclick={link.reform(|_| Msg::Back)} aria-label="Step back" title="Step back (Left arrow)">{"◀ back"}</button>
            <button onclick={link.reform(|_| Msg::TogglePlay)} aria-label="Play or pause" title="Play / pause (Space)">
                { if p.playing { "❚❚ pause" } else { "play" } }
            </button>
            <button onclick={link.reform(|_| Msg::Step)} aria-label="Step" title="Step (Right arrow)">{"step ▶"}</button>
            <button onclick={link.reform(|_| Msg::RunToEnd)} title="Run to the end (End)">{"Run to end"}</button>
            <span class="sub" role="group" aria-label="Reference by reference">
                <button onclick={link.reform(|_| Msg::SubStep(false))} title="Previous event of this access (Up arrow)">{"‹ ref"}</button>
                <button onclick={link.reform(|_| Msg::SubStep(true))} title="Next event of this access (Down arrow)">{"ref ›"}</button>
            </span>
            <label class="speed">{"speed "}
                <select aria-label="Playback speed" onchange={link.reform(|e: yew::Event| {
                    Msg::Speed(e.target_unchecked_into::<web_sys::HtmlSelectElement>().value().parse().unwrap_or(400))
                })}>
                    <option value="1000" selected={p.speed_ms == 1000}>{"slow"}</option>
                    <option value="400" selected={p.speed_ms == 400}>{"normal"}</option>
                    <option value="100" selected={p.speed_ms == 100}>{"fast"}</option>
                    <option value="16" selected={p.speed_ms == 16}>{"fastest"}</option>
                </select>
            </label>
            <input type="range" min="0" max={p.total.to_string()} value={p.cursor.to_string()}
                oninput={onseek} aria-label="Timeline" />
            <span class="position" id="position">{ format!("step {} of {}", p.cursor, p.total) }</span>
        </div>
    }
}
