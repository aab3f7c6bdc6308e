//! KVM's binary statistics (`KVM_GET_STATS_FD`): a header, descriptors, and u64 data, read
//! with `pread`. Snapshots are taken before and after a phase; cumulative counters are
//! compared as deltas, instant values (gauges such as `pages_4k`) as they stand after.

use serde::Serialize;
use std::collections::BTreeMap;

/// Whether a statistic accumulates or is a current value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatKind {
    /// Only grows: compare deltas.
    Cumulative,
    /// A current value or a peak: compare values.
    Gauge,
}

/// One snapshot: name -> (kind, value). Histograms are left out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Snapshot(pub BTreeMap<String, (StatKind, u64)>);

impl Snapshot {
    /// The change from `before` to `self`: deltas of cumulative counters, values of gauges.
    pub fn since(&self, before: &Snapshot) -> BTreeMap<String, u64> {
        self.0
            .iter()
            .map(|(k, &(kind, v))| {
                let d = match kind {
                    StatKind::Cumulative => {
                        v.saturating_sub(before.0.get(k).map_or(0, |&(_, b)| b))
                    }
                    StatKind::Gauge => v,
                };
                (k.clone(), d)
            })
            .collect()
    }
}

/// Parses a stats file given a way to read bytes at an offset.
pub fn parse(
    mut pread: impl FnMut(u64, &mut [u8]) -> std::io::Result<()>,
) -> std::io::Result<Snapshot> {
    let mut header = [0u8; 24];
    pread(0, &mut header)?;
    let word = |b: &[u8], i: usize| u32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let name_size = word(&header, 4) as usize;
    let num_desc = word(&header, 8) as usize;
    let desc_offset = u64::from(word(&header, 16));
    let data_offset = u64::from(word(&header, 20));
    if num_desc > 4096 || name_size > 4096 {
        return Err(std::io::Error::other("implausible KVM stats header"));
    }
    let desc_size = 16 + name_size;
    let mut descs = vec![0u8; desc_size * num_desc];
    pread(desc_offset, &mut descs)?;
    let mut out = BTreeMap::new();
    for d in descs.chunks(desc_size) {
        let flags = word(d, 0);
        let size = u16::from_ne_bytes([d[6], d[7]]);
        let offset = u64::from(word(d, 8));
        let name_bytes = &d[16..];
        let end = name_bytes
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(name_bytes.len());
        let name = String::from_utf8_lossy(&name_bytes[..end]).into_owned();
        // Type in bits 3:0: 0 cumulative, 1 instant, 2 peak, 3/4 histograms.
        let kind = match flags & 0xf {
            0 => StatKind::Cumulative,
            1 | 2 => StatKind::Gauge,
            _ => continue,
        };
        if size != 1 {
            continue;
        }
        let mut v = [0u8; 8];
        pread(data_offset + offset, &mut v)?;
        out.insert(name, (kind, u64::from_ne_bytes(v)));
    }
    Ok(Snapshot(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_synthetic_file() {
        // header: flags, name_size=8, num_desc=2, id_offset=24, desc_offset=32, data_offset=80
        let mut f = vec![0u8; 96];
        for (i, v) in [0u32, 8, 2, 24, 32, 80].iter().enumerate() {
            f[i * 4..i * 4 + 4].copy_from_slice(&v.to_ne_bytes());
        }
        // desc 1: cumulative "pf_fixed" at data offset 0
        f[32..36].copy_from_slice(&0u32.to_ne_bytes());
        f[38..40].copy_from_slice(&1u16.to_ne_bytes());
        f[40..44].copy_from_slice(&0u32.to_ne_bytes());
        f[48..56].copy_from_slice(b"pf_fixed");
        // desc 2: instant "pages_4k" at data offset 8
        f[56..60].copy_from_slice(&1u32.to_ne_bytes());
        f[62..64].copy_from_slice(&1u16.to_ne_bytes());
        f[64..68].copy_from_slice(&8u32.to_ne_bytes());
        f[72..80].copy_from_slice(b"pages_4k");
        f[80..88].copy_from_slice(&7u64.to_ne_bytes());
        f[88..96].copy_from_slice(&3u64.to_ne_bytes());
        let read = |f: &Vec<u8>| {
            let f = f.clone();
            move |off: u64, buf: &mut [u8]| {
                let o = off as usize;
                buf.copy_from_slice(&f[o..o + buf.len()]);
                Ok(())
            }
        };
        let a = parse(read(&f)).unwrap();
        f[80..88].copy_from_slice(&10u64.to_ne_bytes());
        let b = parse(read(&f)).unwrap();
        let d = b.since(&a);
        assert_eq!(d["pf_fixed"], 3);
        assert_eq!(d["pages_4k"], 3);
    }
}
