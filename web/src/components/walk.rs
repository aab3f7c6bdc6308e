//! The walk: the step's title and narration, the 2D grid of a nested walk (every reference
//! numbered, rows marked where a paging-structure cache skipped levels, where a walk ended in
//! an EPT violation and where it started again) with its formula, the shadow view under shadow
//! paging, and every event of the step; grid cells and event lines highlight each other.

use crate::reducer::Msg;
use crate::state::{Player, ShadowView};
use pagewalk_core::view::WalkGrid;
use pagewalk_core::Event;
use pagewalk_scenario::Action;
use yew::prelude::*;

/// What the walk pane shows of the step shown.
#[derive(Clone, Debug, PartialEq)]
pub struct StepView {
    /// The step's title: the access in words, or the step's label or operation.
    pub head: String,
    /// An access's label, if its step has one.
    pub label: Option<String>,
    /// The step's events.
    pub events: Vec<Event>,
    /// The 2D grid, under EPT or NPT.
    pub grid: Option<WalkGrid>,
    /// The guest and shadow entries, under shadow paging.
    pub shadow: Option<ShadowView>,
}

impl StepView {
    /// The step the player shows, or `None` before the first action; its label in `lang`
    /// where the file has it.
    pub fn of(p: &Player, lang: crate::i18n::Lang) -> Option<StepView> {
        let frame = p.current()?;
        let label_of = |s: &pagewalk_scenario::model::Step| {
            lang.scenario_key()
                .and_then(|k| s.labels.get(k).cloned())
                .or_else(|| s.label.clone())
        };
        let head = match frame.action {
            Action::Access { gva, access, .. } => {
                pagewalk_core::Event::AccessBegin { gva, access }.describe(lang)
            }
            Action::Event { step, .. } => p
                .scenario
                .trace
                .get(step)
                .map(|s| label_of(s).unwrap_or_else(|| s.op.describe(lang)))
                .unwrap_or_default(),
        };
        let label = match frame.action {
            Action::Access { step, .. } => p.scenario.trace.get(step).and_then(label_of),
            Action::Event { .. } => None,
        };
        Some(StepView {
            head,
            label,
            events: frame.events.clone(),
            grid: p.grid(lang),
            shadow: frame.shadow.clone(),
        })
    }
}

/// What the pane shows.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The language spoken.
    pub lang: crate::i18n::Lang,
    /// The step shown, or `None` before the first action.
    pub step: Option<StepView>,
    /// Within the step, the event shown last (reference by reference); `None` shows them all.
    pub sub: Option<usize>,
    /// The reference under the pointer.
    pub hover_ref: Option<u32>,
    /// Where the pane's messages go.
    pub dispatch: Callback<Msg>,
}

/// The walk pane.
#[function_component(Walk)]
pub fn walk(p: &Props) -> Html {
    let hover = p.dispatch.reform(Msg::HoverRef);
    let l = p.lang;
    let t = crate::i18n::t;
    let Some(frame) = &p.step else {
        return html! { <p class="hint">{ t(l, "walk-first") }</p> };
    };
    let (head, label) = (&frame.head, &frame.label);
    let narration = pagewalk_core::view::narrate(&frame.events, l);
    let mut n = 0;
    let upto = p.sub.unwrap_or(usize::MAX);
    let shown = |event: usize| event <= upto;
    html! {
        <>
        <h3>{ head }
            if let Some(i) = p.sub {
                <span class="subpos">{ " " }{ crate::i18n::ta(l, "walk-event-of", &[("n", (i as u64 + 1).into()), ("total", (frame.events.len() as u64).into())]) }</span>
            }
        </h3>
        if let Some(l) = label { <p class="step-label">{ l }</p> }
        <p class="narration" aria-live="polite">{ crate::components::glossary::glossed(l, &narration) }</p>
        if let Some(g) = &frame.grid {
            <table class="grid" tabindex="0" aria-label={t(l, "walk-grid-label")}>
                <thead><tr><th scope="col" class="corner">{ t(l, "walk-grid-corner") }</th>
                    { for g.columns.iter().map(|c| html!{ <th scope="col">{ c }</th> }) }
                    <th scope="col">{ t(l, "walk-grid-entry") }</th></tr></thead>
                <tbody>
                { for g.rows.iter().enumerate().map(|(r, name)| html! {
                    <tr class={classes!(g.retry_rows.contains(&r).then_some("retry"))}><th scope="row">{ name }
                        if g.pwc_rows.contains(&r) { <span class="pwc" title={t(l, "walk-badge-pwc-title")}>{" "}{ t(l, "walk-badge-pwc") }</span> }
                        if g.combined_rows.contains(&r) { <span class="pwc" title={t(l, "walk-badge-combined-title")}>{" "}{ t(l, "walk-badge-combined") }</span> }
                        if g.retry_rows.contains(&r) { <span class="retry-mark" title={t(l, "walk-badge-again-title")}>{" "}{ t(l, "walk-badge-again") }</span> }
                        if g.violation_rows.contains(&r) { <span class="exit-mark" title={t(l, "walk-badge-exit-title")}>{" "}{ t(l, "walk-badge-exit") }</span> }
                    </th>
                    { for (0..=g.columns.len()).map(|col| {
                        let colv = (col < g.columns.len()).then_some(col);
                        match g.cells.iter().find(|c| c.row == r && c.col == colv) {
                            Some(c) => {
                                let k = c.number;
                                html!{ <td class={classes!(
                                    if colv.is_some() {"host"} else {"guest"},
                                    (!shown(c.event)).then_some("future"),
                                    (p.sub == Some(c.event)).then_some("now"),
                                    (p.hover_ref == Some(k)).then_some("linked"))}
                                title={frame.events.get(c.event).map(|e| e.describe(l))}
                                onmouseenter={hover.reform(move |_: MouseEvent| Some(k))}
                                onmouseleave={hover.reform(|_: MouseEvent| None)}
                                data-ref={k.to_string()}>{ k }</td> }
                            }
                            None => html!{ <td class="empty"></td> },
                        }
                    }) }
                    </tr>
                }) }
                </tbody>
            </table>
            <p class="formula">{
                if g.walks > 1 {
                    crate::i18n::ta(l, "walk-formula-retries", &[
                        ("refs", g.cells.len().into()),
                        ("walks", g.walks.into()),
                        ("faulted", g.violation_rows.len().into()),
                        ("full", g.full_walk.into()),
                    ])
                } else {
                    crate::i18n::ta(l, "walk-formula", &[("refs", g.cells.len().into()), ("full", g.full_walk.into())])
                }
            }</p>
        }
        if let Some(v) = &frame.shadow {
            <div class="shadow-view">
                <table aria-label={t(l, "walk-shadow-label")}>
                    <thead><tr><th>{ t(l, "walk-level") }</th><th>{ t(l, "walk-guest-entry") }</th><th>{ t(l, "walk-shadow-entry") }</th></tr></thead>
                    <tbody>
                    { for v.guest.iter().enumerate().map(|(i, (l, gpa, val, wp))| html! {
                        <tr>
                            <th scope="row">{ l.table_name() }</th>
                            <td class={classes!(wp.then_some("wp"))} title={if *wp { "write-protected: the hypervisor shadows this guest table" } else { "" }}>
                                { format!("{gpa} = {val:#x}") }
                                if *wp { <span class="wp-mark">{"WP"}</span> }</td>
                            <td>{ v.shadow.get(i).map_or_else(|| "(none)".to_owned(), |(_, h, sv)| format!("{h} = {sv:#x}")) }</td>
                        </tr>
                    }) }
                    </tbody>
                </table>
            </div>
        }
        <ul class="events">
        { for frame.events.iter().enumerate().map(|(i, e)| {
            let is_ref = matches!(e, Event::TableRead { .. });
            if is_ref { n += 1; }
            let class = match e {
                Event::TableRead { .. } => "ref",
                Event::Fault { .. } => "fault",
                Event::TlbHit { .. } => "hit",
                Event::TlbMiss { .. } => "miss",
                Event::VmExit { .. } | Event::VmEntry { .. } => "vm",
                _ => "other",
            };
            let state = if !shown(i) { Some("future") } else if p.sub == Some(i) { Some("now") } else { None };
            if is_ref {
                let k = n;
                html! { <li class={classes!(class, state, (p.hover_ref == Some(k)).then_some("linked"))}
                    data-ref-line={k.to_string()}
                    onmouseenter={hover.reform(move |_: MouseEvent| Some(k))}
                    onmouseleave={hover.reform(|_: MouseEvent| None)}>{ format!("{k}. ") }{ e.describe(l) }</li> }
            } else {
                html! { <li class={classes!(class, state)}>{ e.describe(l) }</li> }
            }
        }) }
        </ul>
        </>
    }
}
