//! Numbers as people write them: addresses ("0x7fff_0000_1000"), sizes ("2M", "28MiB"),
//! and flags in the form `bitflags` prints ("PRESENT | WRITABLE | USER").

use crate::diag::{msg, Arg, Text};
use pagewalk_core::{EptFlags, PteFlags};

/// Parses an integer: decimal, `0x` hex, `0o` octal or `0b` binary, `_` allowed; what is
/// wrong in English.
pub fn parse_u64(s: &str) -> Result<u64, String> {
    read_u64(s).map_err(|m| m.say(pagewalk_text::Lang::En))
}

/// Parses a size (see [`read_size`]); what is wrong in English.
pub fn parse_size(s: &str) -> Result<u64, String> {
    read_size(s).map_err(|m| m.say(pagewalk_text::Lang::En))
}

/// Parses IA-32e entry flags, e.g. "PRESENT | WRITABLE | USER" (or raw numbers); what is
/// wrong in English.
pub fn parse_pte_flags(s: &str) -> Result<PteFlags, String> {
    read_pte_flags(s).map_err(|m| m.say(pagewalk_text::Lang::En))
}

/// Parses EPT entry flags, e.g. "READ | WRITE | EXECUTE"; what is wrong in English.
pub fn parse_ept_flags(s: &str) -> Result<EptFlags, String> {
    read_ept_flags(s).map_err(|m| m.say(pagewalk_text::Lang::En))
}

/// Parses an integer: decimal, `0x` hex, `0o` octal or `0b` binary, `_` allowed.
pub fn read_u64(s: &str) -> Result<u64, Text> {
    let t: String = s.trim().chars().filter(|&c| c != '_').collect();
    let (digits, radix) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (h, 16)
    } else if let Some(o) = t.strip_prefix("0o") {
        (o, 8)
    } else if let Some(b) = t.strip_prefix("0b") {
        (b, 2)
    } else {
        (t.as_str(), 10)
    };
    if digits.is_empty() {
        return Err(msg!("diag-not-a-number", text = s));
    }
    u64::from_str_radix(digits, radix).map_err(|e| match e.kind() {
        std::num::IntErrorKind::PosOverflow => msg!("diag-too-big-64", text = s),
        _ => msg!("diag-not-a-number", text = s),
    })
}

/// Parses a size: a number of bytes, or a number with K/M/G/T (KiB, MiB...; KB and MB are
/// taken as binary too, as page sizes always are).
pub fn read_size(s: &str) -> Result<u64, Text> {
    let t = s.trim();
    let upper = t.to_ascii_uppercase();
    let split = upper
        .find(|c: char| {
            c.is_ascii_alphabetic() && !upper.starts_with("0X") && !upper.starts_with("0B")
        })
        .unwrap_or(upper.len());
    let (num, unit) = upper.split_at(split);
    let shift = match unit.trim() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        other => return Err(msg!("diag-unknown-unit", unit = other, text = s)),
    };
    let n = read_u64(num).map_err(|_| msg!("diag-not-a-size", text = s))?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| msg!("diag-size-too-large", text = s))
}

fn parse_flags<F: bitflags::Flags<Bits = u64> + Copy>(s: &str) -> Result<F, Text> {
    let mut out = F::empty();
    for part in s.split('|').map(str::trim).filter(|p| !p.is_empty()) {
        if let Ok(bits) = read_u64(part) {
            out = out.union(F::from_bits_retain(bits));
            continue;
        }
        match F::from_name(part) {
            Some(f) => out = out.union(f),
            None => {
                let names: Vec<&str> = F::FLAGS.iter().map(|f| f.name()).collect();
                return Err(match crate::diag::did_you_mean(part, &names) {
                    Some(m) => msg!("diag-unknown-flag-did-you-mean", flag = part, name = m),
                    None => msg!("diag-unknown-flag", flag = part, flags = Arg::list(&names)),
                });
            }
        }
    }
    Ok(out)
}

/// Parses IA-32e entry flags, e.g. "PRESENT | WRITABLE | USER" (or raw numbers).
pub fn read_pte_flags(s: &str) -> Result<PteFlags, Text> {
    parse_flags(s)
}

/// Parses EPT entry flags, e.g. "READ | WRITE | EXECUTE".
pub fn read_ept_flags(s: &str) -> Result<EptFlags, Text> {
    parse_flags(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_sizes() {
        assert_eq!(parse_u64("0x7fff_0000_1000"), Ok(0x7fff_0000_1000));
        assert_eq!(parse_u64("4096"), Ok(4096));
        assert_eq!(parse_u64("0b101"), Ok(5));
        assert!(parse_u64("0x").is_err());
        assert!(parse_u64("0x1_0000_0000_0000_0000").is_err());
        assert_eq!(parse_size("2M"), Ok(2 << 20));
        assert_eq!(parse_size("28MiB"), Ok(28 << 20));
        assert_eq!(parse_size("4k"), Ok(4096));
        assert_eq!(parse_size("0x1000"), Ok(4096));
        assert_eq!(parse_size("1 GiB"), Ok(1 << 30));
        assert!(parse_size("3 parsecs").is_err());
    }

    #[test]
    fn flags() {
        assert_eq!(
            parse_pte_flags("PRESENT | WRITABLE | USER"),
            Ok(PteFlags::PRESENT | PteFlags::WRITABLE | PteFlags::USER)
        );
        assert_eq!(
            parse_pte_flags("0x8000000000000000"),
            Ok(PteFlags::NO_EXECUTE)
        );
        let e = parse_pte_flags("PRESENT | WRITEABLE").unwrap_err();
        assert!(e.contains("did you mean `WRITABLE`"), "{e}");
        assert_eq!(
            parse_ept_flags("READ|EXECUTE"),
            Ok(EptFlags::READ | EptFlags::EXECUTE)
        );
    }
}
