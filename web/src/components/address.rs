//! The bit fields of the address accessed: which bits index which table, split by the page the
//! guest's tables map it with.

use crate::i18n::{t, Lang};
use pagewalk_core::view::AddressField;
use yew::prelude::*;

/// What the panel shows.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The language spoken.
    pub lang: Lang,
    /// The fields, top bits first.
    pub fields: Vec<AddressField>,
}

/// The address panel.
#[function_component(AddressBits)]
pub fn address_bits(p: &Props) -> Html {
    html! {
        <div class="address" aria-label={t(p.lang, "address-label")}>
        { for p.fields.iter().map(|f| html! {
            <div class={classes!("field", f.level.map(|_| "index"))}>
                <div class="bits">{ format!("{}..{}", f.hi, f.lo) }</div>
                <div class="value">{ format!("{:#x}", f.value) }</div>
                <div class="name">{ &f.name }</div>
            </div>
        }) }
        </div>
    }
}
