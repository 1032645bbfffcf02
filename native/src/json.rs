//! The little JSON the server speaks: requests are one flat object of string values per line;
//! replies are written with [`escape`].

/// A flat JSON object whose values are all strings, e.g. `{"wtns": "/tmp/w", "proof": "/tmp/p"}`.
/// Anything else (nesting, numbers, duplicate keys, trailing text) is an error.
pub fn parse_flat_object(s: &str) -> Result<Vec<(String, String)>, String> {
    let b = s.as_bytes();
    let mut i = 0usize;
    let ws = |i: &mut usize| {
        while *i < b.len() && matches!(b[*i], b' ' | b'\t' | b'\r' | b'\n') {
            *i += 1;
        }
    };
    ws(&mut i);
    if b.get(i) != Some(&b'{') {
        return Err("a request must be a JSON object".into());
    }
    i += 1;
    let mut out: Vec<(String, String)> = Vec::new();
    ws(&mut i);
    if b.get(i) == Some(&b'}') {
        i += 1;
    } else {
        loop {
            ws(&mut i);
            let k = string(b, &mut i)?;
            ws(&mut i);
            if b.get(i) != Some(&b':') {
                return Err("expected ':' after a key".into());
            }
            i += 1;
            ws(&mut i);
            let v = string(b, &mut i).map_err(|e| format!("{k}: {e} (values must be strings)"))?;
            if out.iter().any(|(x, _)| *x == k) {
                return Err(format!("key {k:?} repeated"));
            }
            out.push((k, v));
            ws(&mut i);
            match b.get(i) {
                Some(b',') => i += 1,
                Some(b'}') => {
                    i += 1;
                    break;
                }
                _ => return Err("expected ',' or '}'".into()),
            }
        }
    }
    ws(&mut i);
    if i != b.len() {
        return Err("text after the object".into());
    }
    Ok(out)
}

fn hex4(b: &[u8], i: usize) -> Result<u32, String> {
    let h = b.get(i..i + 4).ok_or("a truncated \\u escape")?;
    let s = std::str::from_utf8(h).map_err(|_| "a bad \\u escape")?;
    u32::from_str_radix(s, 16).map_err(|_| "a bad \\u escape".to_string())
}

fn string(b: &[u8], i: &mut usize) -> Result<String, String> {
    if b.get(*i) != Some(&b'"') {
        return Err("expected a string".into());
    }
    *i += 1;
    let mut out: Vec<u8> = Vec::new();
    loop {
        let Some(&c) = b.get(*i) else {
            return Err("an unterminated string".into());
        };
        *i += 1;
        match c {
            b'"' => break,
            b'\\' => {
                let Some(&e) = b.get(*i) else {
                    return Err("an unterminated escape".into());
                };
                *i += 1;
                match e {
                    b'"' => out.push(b'"'),
                    b'\\' => out.push(b'\\'),
                    b'/' => out.push(b'/'),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'u' => {
                        let mut cp = hex4(b, *i)?;
                        *i += 4;
                        if (0xd800..0xdc00).contains(&cp) {
                            if b.get(*i) != Some(&b'\\') || b.get(*i + 1) != Some(&b'u') {
                                return Err("a lone surrogate".into());
                            }
                            let lo = hex4(b, *i + 2)?;
                            if !(0xdc00..0xe000).contains(&lo) {
                                return Err("a lone surrogate".into());
                            }
                            *i += 6;
                            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                        }
                        let ch = char::from_u32(cp).ok_or("a lone surrogate")?;
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    }
                    _ => return Err("an unknown escape".into()),
                }
            }
            0..=0x1f => return Err("a control character in a string".into()),
            _ => out.push(c),
        }
    }
    String::from_utf8(out).map_err(|_| "a string that is not UTF-8".to_string())
}

/// A JSON string literal of `s`.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_objects() {
        let v = parse_flat_object(r#" {"a": "x\"y", "b":"\u00e9\ud83d\ude00/\n"} "#).unwrap();
        assert_eq!(v, vec![("a".into(), "x\"y".into()), ("b".into(), "é😀/\n".into())]);
        assert_eq!(parse_flat_object("{}").unwrap(), vec![]);
        for bad in [
            "",
            "[]",
            r#"{"a": 1}"#,
            r#"{"a": "x", "a": "y"}"#,
            r#"{"a": "x"} x"#,
            r#"{"a": "x""#,
            r#"{"a": "\ud800"}"#,
            r#"{"a": {"b": "c"}}"#,
            "{\"a\": \"\u{1}\"}",
        ] {
            assert!(parse_flat_object(bad).is_err(), "{bad}");
        }
        assert_eq!(escape("a\"\\\n\u{1}"), "\"a\\\"\\\\\\n\\u0001\"");
    }
}
