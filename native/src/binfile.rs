//! The sectioned binary container of snarkjs and circom files (`.zkey`, `.wtns`): a 4-byte magic,
//! a u32 version, a u32 section count, then sections of (u32 type, u64 size, data), little-endian.
//!
//! Everything a file says about itself is checked against what it holds before it is used: a
//! section's size against the bytes left, a declared count against its section's size. Nothing is
//! allocated from a size the file claims; all offsets use checked arithmetic.

use std::fmt;

/// A malformed input file: which file, which part, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    pub file: String,
    pub field: String,
    pub msg: String,
}

impl FormatError {
    pub fn new(file: &str, field: &str, msg: impl Into<String>) -> Self {
        FormatError {
            file: file.to_string(),
            field: field.to_string(),
            msg: msg.into(),
        }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.field, self.msg)
    }
}

impl std::error::Error for FormatError {}

/// One section: its type and where its data lies in the file.
#[derive(Debug, Clone, Copy)]
pub struct Section {
    pub kind: u32,
    pub start: usize,
    pub len: usize,
}

/// A parsed container: the file's bytes and the table of its sections (each type at most once).
#[derive(Debug)]
pub struct BinFile {
    pub name: String,
    pub data: Vec<u8>,
    pub version: u32,
    sections: Vec<Section>,
}

/// Most sections any file of ours has (zkey: 10); a file claiming more is refused before the scan.
const MAX_SECTIONS: u32 = 64;

impl BinFile {
    /// Parse the container of `data` (the whole file), checking the magic and every section bound.
    pub fn parse(name: &str, data: Vec<u8>, magic: &[u8; 4], max_version: u32) -> Result<Self, FormatError> {
        let err = |field: &str, msg: String| FormatError::new(name, field, msg);
        if data.len() < 12 {
            return Err(err(
                "header",
                format!("{} bytes: too short for a {} file", data.len(), show_magic(magic)),
            ));
        }
        if &data[0..4] != magic {
            return Err(err(
                "magic",
                format!("not a {} file (magic {:?})", show_magic(magic), show_magic_bytes(&data[0..4])),
            ));
        }
        let version = u32_at(&data, 4);
        if version == 0 || version > max_version {
            return Err(err("version", format!("{version} is not supported (1..={max_version})")));
        }
        let n = u32_at(&data, 8);
        if n > MAX_SECTIONS {
            return Err(err(
                "sections",
                format!("{n} sections claimed, at most {MAX_SECTIONS} expected"),
            ));
        }
        let mut pos = 12usize;
        let mut sections: Vec<Section> = Vec::with_capacity(n as usize);
        for i in 0..n {
            let head_end = pos.checked_add(12).filter(|&e| e <= data.len());
            let Some(head_end) = head_end else {
                return Err(err(
                    "sections",
                    format!("section {i} of {n}: header past the end of the file"),
                ));
            };
            let kind = u32_at(&data, pos);
            let size = u64_at(&data, pos + 4);
            let left = (data.len() - head_end) as u64;
            if size > left {
                return Err(err(
                    &format!("section {kind}"),
                    format!("claims {size} bytes but only {left} remain in the file"),
                ));
            }
            if sections.iter().any(|s| s.kind == kind) {
                return Err(err(&format!("section {kind}"), "appears twice".to_string()));
            }
            let len = size as usize;
            sections.push(Section {
                kind,
                start: head_end,
                len,
            });
            pos = head_end + len;
        }
        if pos != data.len() {
            return Err(err("sections", format!("{} bytes after the last section", data.len() - pos)));
        }
        Ok(BinFile {
            name: name.to_string(),
            data,
            version,
            sections,
        })
    }

    /// The section of this type, required.
    pub fn section(&self, kind: u32, what: &str) -> Result<Section, FormatError> {
        self.sections
            .iter()
            .copied()
            .find(|s| s.kind == kind)
            .ok_or_else(|| FormatError::new(&self.name, &format!("section {kind} ({what})"), "missing"))
    }

    /// The bytes of a section.
    pub fn bytes(&self, s: Section) -> &[u8] {
        &self.data[s.start..s.start + s.len]
    }

    /// A section that must hold exactly `count` items of `item` bytes (checked without overflow).
    pub fn sized(&self, kind: u32, what: &str, count: u64, item: u64) -> Result<Section, FormatError> {
        let s = self.section(kind, what)?;
        let want = count.checked_mul(item);
        if want != Some(s.len as u64) {
            let want = want
                .map(|w| w.to_string())
                .unwrap_or_else(|| "an impossible size".to_string());
            return Err(FormatError::new(
                &self.name,
                &format!("section {kind} ({what})"),
                format!("{} bytes, expected {want} ({count} × {item})", s.len),
            ));
        }
        Ok(s)
    }

    /// The kinds of the sections, in file order.
    pub fn kinds(&self) -> Vec<u32> {
        self.sections.iter().map(|s| s.kind).collect()
    }
}

fn show_magic(m: &[u8; 4]) -> String {
    String::from_utf8_lossy(m).into_owned()
}

fn show_magic_bytes(m: &[u8]) -> String {
    m.iter()
        .map(|&b| if b.is_ascii_graphic() { b as char } else { '?' })
        .collect()
}

/// A little-endian u32 at `pos` (the caller has checked the bounds).
#[inline]
pub fn u32_at(b: &[u8], pos: usize) -> u32 {
    u32::from_le_bytes([b[pos], b[pos + 1], b[pos + 2], b[pos + 3]])
}

/// A little-endian u64 at `pos` (the caller has checked the bounds).
#[inline]
pub fn u64_at(b: &[u8], pos: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[pos..pos + 8]);
    u64::from_le_bytes(w)
}

/// Read a whole file of at most half the memory available now (a larger one could only end in
/// an out-of-memory kill: refused before anything is read); the error names it.
pub fn read_file(path: &str, label: &str) -> Result<Vec<u8>, FormatError> {
    read_file_at_most(path, label, available_memory().map(|m| m / 2).unwrap_or(u64::MAX))
}

/// The memory available to new allocations (Linux `MemAvailable`), if known.
pub fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// Read a whole regular file of at most `max` bytes whose first four bytes are `label` (the
/// magic), checking type, magic and size before anything is allocated for the rest: a FIFO or a
/// device never blocks the reader, a huge file is never read.
pub fn read_file_at_most(path: &str, label: &str, max: u64) -> Result<Vec<u8>, FormatError> {
    use std::io::Read;
    let err = |e: String| FormatError::new(path, label, e);
    let meta = std::fs::metadata(path).map_err(|e| err(format!("cannot be read: {e}")))?;
    if !meta.is_file() {
        return Err(err("cannot be read: not a regular file".into()));
    }
    if meta.len() > max {
        return Err(FormatError::new(
            path,
            "header",
            format!("{} bytes, at most {max} expected", meta.len()),
        ));
    }
    let mut f = std::fs::File::open(path).map_err(|e| err(format!("cannot be read: {e}")))?;
    let mut head = [0u8; 4];
    let n = f.read(&mut head).map_err(|e| err(format!("cannot be read: {e}")))?;
    if n == 4 && head != label.as_bytes()[..4] {
        return Err(FormatError::new(
            path,
            "magic",
            format!("not a {label} file (magic {:?})", show_magic_bytes(&head)),
        ));
    }
    let mut data = head[..n].to_vec();
    f.take(max.saturating_sub(n as u64))
        .read_to_end(&mut data)
        .map_err(|e| err(format!("cannot be read: {e}")))?;
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(sections: &[(u32, Vec<u8>)]) -> Vec<u8> {
        let mut v = b"test".to_vec();
        v.extend(1u32.to_le_bytes());
        v.extend((sections.len() as u32).to_le_bytes());
        for (k, d) in sections {
            v.extend(k.to_le_bytes());
            v.extend((d.len() as u64).to_le_bytes());
            v.extend(d);
        }
        v
    }

    #[test]
    fn sections_in_any_order() {
        let f = BinFile::parse("f", file(&[(2, vec![1, 2]), (1, vec![3])]), b"test", 2).unwrap();
        assert_eq!(f.kinds(), vec![2, 1]);
        assert_eq!(f.bytes(f.section(1, "one").unwrap()), &[3]);
        assert_eq!(f.bytes(f.sized(2, "two", 2, 1).unwrap()), &[1, 2]);
        assert!(f.sized(2, "two", 1, 1).is_err());
        assert!(f.sized(2, "two", u64::MAX, 2).is_err());
        assert!(f.section(3, "three").is_err());
    }

    #[test]
    fn lies_are_refused() {
        let good = file(&[(1, vec![0; 8])]);
        // a section larger than the file
        let mut bad = good.clone();
        bad[16..24].copy_from_slice(&(u64::MAX).to_le_bytes());
        assert!(BinFile::parse("f", bad, b"test", 2).unwrap_err().msg.contains("remain"));
        // more sections than present
        let mut bad = good.clone();
        bad[8..12].copy_from_slice(&2u32.to_le_bytes());
        assert!(BinFile::parse("f", bad, b"test", 2).is_err());
        // trailing bytes
        let mut bad = good.clone();
        bad.push(0);
        assert!(BinFile::parse("f", bad, b"test", 2).is_err());
        // duplicate
        assert!(BinFile::parse("f", file(&[(1, vec![]), (1, vec![])]), b"test", 2).is_err());
        // magic, version, truncation
        assert!(BinFile::parse("f", good.clone(), b"zkey", 2).is_err());
        let mut bad = good.clone();
        bad[4] = 9;
        assert!(BinFile::parse("f", bad, b"test", 2).is_err());
        for cut in 0..good.len() {
            assert!(BinFile::parse("f", good[..cut].to_vec(), b"test", 2).is_err());
        }
        assert!(BinFile::parse("f", good, b"test", 2).is_ok());
    }
}
