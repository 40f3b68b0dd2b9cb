//! Fields a proto change drops: present in a message at base, and at head removed or with its
//! number reserved. Messages are matched by fully qualified name (nested ones included).

use prost_types::{DescriptorProto, FileDescriptorProto};

/// One dropped field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    /// The message's name, dotted for nested messages (`Frame.Header`).
    pub message: String,
    /// The field's name at base.
    pub field: String,
    /// Its number at base.
    pub number: i32,
    /// True when head reserves the number (or the name) instead of just deleting the line.
    pub reserved: bool,
}

/// Fields whose name `field` accepts, of base messages whose name `message` accepts, that head
/// no longer has (by name). A message gone at head (or a deleted file, `head` = `None`) drops
/// all of them.
pub fn removed_fields(
    base: &FileDescriptorProto,
    head: Option<&FileDescriptorProto>,
    message: impl Fn(&str) -> bool,
    field: impl Fn(&str) -> bool,
) -> Vec<Dropped> {
    let mut base_msgs = Vec::new();
    flatten("", &base.message_type, &mut base_msgs);
    let mut head_msgs = Vec::new();
    if let Some(h) = head {
        flatten("", &h.message_type, &mut head_msgs);
    }
    let mut out = Vec::new();
    for (name, m) in base_msgs {
        if !message(&name) && !message(name.rsplit('.').next().unwrap_or(&name)) {
            continue;
        }
        let at_head = head_msgs.iter().find(|(n, _)| *n == name).map(|(_, m)| *m);
        for f in &m.field {
            let fname = f.name();
            if !field(fname) {
                continue;
            }
            // Kept: the same name, or the same number under another sequence name (a rename).
            let kept = at_head.is_some_and(|h| {
                h.field
                    .iter()
                    .any(|hf| hf.name() == fname || (hf.number() == f.number() && field(hf.name())))
            });
            if kept {
                continue;
            }
            let number = f.number();
            let reserved = at_head.is_some_and(|h| {
                h.reserved_name.iter().any(|n| n == fname)
                    || h.reserved_range
                        .iter()
                        .any(|r| r.start() <= number && number < r.end())
            });
            out.push(Dropped {
                message: name.clone(),
                field: fname.to_string(),
                number,
                reserved,
            });
        }
    }
    out
}

fn flatten<'a>(
    prefix: &str,
    msgs: &'a [DescriptorProto],
    out: &mut Vec<(String, &'a DescriptorProto)>,
) {
    for m in msgs {
        let name = if prefix.is_empty() {
            m.name().to_string()
        } else {
            format!("{prefix}.{}", m.name())
        };
        flatten(&name, &m.nested_type, out);
        out.push((name, m));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> FileDescriptorProto {
        protox_parse::parse("x.proto", text).unwrap()
    }

    #[test]
    fn removed_and_reserved_sequence_fields() {
        let base = parse("syntax = \"proto3\";\nmessage KhalaFrame { string topic = 1; uint64 seq = 2; bytes payload = 3; }\nmessage Other { uint64 seq = 1; }\n");
        let removed = parse("syntax = \"proto3\";\nmessage KhalaFrame { string topic = 1; bytes payload = 3; }\nmessage Other { uint64 seq = 1; }\n");
        let reserved = parse("syntax = \"proto3\";\nmessage KhalaFrame { reserved 2; reserved \"seq\"; string topic = 1; bytes payload = 3; }\nmessage Other { }\n");
        let is_frame = |m: &str| m.ends_with("Frame");
        let is_seq = |f: &str| f == "seq";
        let r = removed_fields(&base, Some(&removed), is_frame, is_seq);
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].message.as_str(), r[0].number, r[0].reserved),
            ("KhalaFrame", 2, false)
        );
        let r = removed_fields(&base, Some(&reserved), is_frame, is_seq);
        assert_eq!(r.len(), 1);
        assert!(r[0].reserved);
        assert!(removed_fields(&base, Some(&base), is_frame, is_seq).is_empty());
        // Renamed to another sequence name under the same number: kept; to anything else: not.
        let renamed = parse(
            "syntax = \"proto3\";\nmessage KhalaFrame { string topic = 1; uint64 sequence = 2; }\n",
        );
        let seq_like = |f: &str| f == "seq" || f == "sequence";
        assert!(removed_fields(&base, Some(&renamed), is_frame, seq_like).is_empty());
        assert_eq!(
            removed_fields(&base, Some(&renamed), is_frame, is_seq).len(),
            1
        );
    }
}
