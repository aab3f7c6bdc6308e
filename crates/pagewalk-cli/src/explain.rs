//! `pagewalk explain`: the bit fields of an address.

use anyhow::Result;
use console::style;
use pagewalk_core::view::address_fields;
use pagewalk_core::{Gva, Lang, Levels, PageSize};

pub fn explain(gva: u64) -> Result<u8> {
    let gva = Gva::new(gva);
    for levels in [Levels::Four, Levels::Five] {
        let canonical = gva.is_canonical(levels);
        println!(
            "{} ({}-bit linear addresses){}",
            style(format!("{}-level paging", levels.count())).bold(),
            levels.address_bits(),
            if canonical {
                String::new()
            } else {
                format!(
                    ": {} (bits 63..{} must equal bit {}; an access raises #GP)",
                    style("not canonical").red(),
                    levels.address_bits(),
                    levels.address_bits() - 1
                )
            }
        );
        for page in PageSize::ALL {
            let fields = address_fields(gva, levels, page, Lang::En);
            let parts: Vec<String> = fields
                .iter()
                .map(|f| format!("{} [{}:{}] = {:#x}", f.name, f.hi, f.lo, f.value))
                .collect();
            println!("  {page} page: {}", parts.join(", "));
        }
        println!();
    }
    Ok(0)
}

/// `pagewalk glossary`: the catalogue's glossary, as text or as docs/glossary.md.
pub fn glossary(lang: &str, markdown: bool) -> Result<u8> {
    if markdown {
        print!("{}", pagewalk_text::glossary_markdown());
        return Ok(0);
    }
    let lang = pagewalk_text::Lang::from_tag(lang).unwrap_or_default();
    for section in pagewalk_text::glossary(lang).iter() {
        println!("{}", style(&section.title).bold());
        for term in &section.terms {
            let name = term.with_english(lang);
            println!("  {}\n    {}", style(name).bold(), term.what);
        }
        println!();
    }
    Ok(0)
}
