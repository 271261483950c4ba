//! `docs/input-rules.md` is the input rule of every request field, generated from the
//! descriptor set and `src/bounds.rs`, and each request field's proto comment states its
//! bound on a last `// Input:` line; these tests fail when the page or a comment is stale
//! or missing. Refresh both with
//! `SYMBOLON_BLESS=1 cargo test -p symbolon-contracts --test input_rules`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use prost::Message;
use prost_types::{
    DescriptorProto, FileDescriptorSet,
    field_descriptor_proto::{Label, Type},
};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use symbolon_contracts::bounds;

fn messages(fds: &FileDescriptorSet) -> HashMap<String, &DescriptorProto> {
    fn add<'a>(
        out: &mut HashMap<String, &'a DescriptorProto>,
        scope: &str,
        m: &'a DescriptorProto,
    ) {
        let full = format!("{scope}.{}", m.name());
        for n in &m.nested_type {
            add(out, &full, n);
        }
        out.insert(full, m);
    }
    let mut out = HashMap::new();
    for f in &fds.file {
        for m in &f.message_type {
            add(&mut out, &format!(".{}", f.package()), m);
        }
    }
    out
}

fn render() -> String {
    let fds = FileDescriptorSet::decode(symbolon_contracts::FILE_DESCRIPTOR_SET).unwrap();
    let all = messages(&fds);
    let mut todo: Vec<String> = fds
        .file
        .iter()
        .flat_map(|f| &f.service)
        .flat_map(|s| &s.method)
        .map(|m| m.input_type().to_string())
        .collect();
    let mut seen = BTreeSet::new();
    let mut rows: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    while let Some(name) = todo.pop() {
        if !name.starts_with(".symbolon.") || !seen.insert(name.clone()) {
            continue;
        }
        let Some(m) = all.get(&name) else { continue };
        if m.options.as_ref().is_some_and(|o| o.map_entry()) {
            continue;
        }
        let msg = name.trim_start_matches('.');
        let mut fields = Vec::new();
        for f in &m.field {
            let repeated = f.label() == Label::Repeated;
            let entry = all
                .get(f.type_name())
                .filter(|e| e.options.as_ref().is_some_and(|o| o.map_entry()));
            let max = bounds::max_items(msg, f.name());
            let rule = match (f.r#type(), entry) {
                (_, Some(e)) => {
                    let value = e.field.iter().find(|x| x.number() == 2);
                    if let Some(v) = value.filter(|v| v.r#type() == Type::Message) {
                        todo.push(v.type_name().to_string());
                    }
                    let values = match value.map(|v| v.r#type()) {
                        Some(Type::String) => bounds::map_value_rule(msg, f.name()).describe(),
                        Some(Type::Double) => "finite numbers".into(),
                        _ => "see the value type".into(),
                    };
                    format!(
                        "map, ≤ {max} entries; keys {}; values {values}",
                        bounds::Rule::MAP_KEY.describe()
                    )
                }
                (Type::String, _) => {
                    let r = bounds::string_rule(msg, f.name()).describe();
                    if repeated {
                        format!("≤ {max} items, each {r}")
                    } else {
                        r
                    }
                }
                (Type::Bytes, _) => format!("≤ {} bytes", bounds::DEFAULT_MAX_BYTES),
                (t @ (Type::Double | Type::Float), _) => {
                    let bits = if t == Type::Float { 32 } else { 64 };
                    let r = bounds::number_range(msg, f.name(), false, bits).describe(false);
                    if repeated {
                        format!("≤ {max} items, each {r}")
                    } else {
                        r
                    }
                }
                (
                    t @ (Type::Int32
                    | Type::Sint32
                    | Type::Sfixed32
                    | Type::Uint32
                    | Type::Fixed32
                    | Type::Int64
                    | Type::Sint64
                    | Type::Sfixed64
                    | Type::Uint64
                    | Type::Fixed64),
                    _,
                ) => {
                    let bits = match t {
                        Type::Int32
                        | Type::Sint32
                        | Type::Sfixed32
                        | Type::Uint32
                        | Type::Fixed32 => 32,
                        _ => 64,
                    };
                    let r = bounds::number_range(msg, f.name(), true, bits).describe(true);
                    if repeated {
                        format!("≤ {max} items, each {r}")
                    } else {
                        r
                    }
                }
                (Type::Message, _) if f.type_name() == ".google.protobuf.Timestamp" => {
                    "a time from 1970-01-01 to 2200-01-01 (UTC)".into()
                }
                (Type::Message, _) => {
                    todo.push(f.type_name().to_string());
                    let t = f.type_name().rsplit('.').next().unwrap_or_default();
                    if repeated {
                        format!("≤ {max} × `{t}`")
                    } else {
                        format!("`{t}`")
                    }
                }
                (_, _) if repeated => format!("≤ {max} items"),
                _ => continue,
            };
            fields.push((f.name().to_string(), rule));
        }
        if !fields.is_empty() {
            rows.insert(msg.to_string(), fields);
        }
    }
    let mut out = String::from(
        "# Input rules\n\n\
         Generated from the contracts and `shared/contracts/src/bounds.rs` by\n\
         `shared/contracts/tests/input_rules.rs` (which fails when this page is stale; refresh it\n\
         with `SYMBOLON_BLESS=1 cargo test -p symbolon-contracts --test input_rules`).\n\n\
         Every request is checked against these rules when it is decoded, before any handler\n\
         runs (`shared/contracts/src/hygiene.rs`); a request that breaks one gets\n\
         INVALID_ARGUMENT with a `BadRequest` naming each field as sent\n\
         (`fire_request.parts[1].part_number`, `entries[0].attributes[\"k\"]`). Handlers add\n\
         the rules only they know (formats, ranges, references), documented on each field.\n\
         Each field's proto comment states its rule on an `// Input:` line, generated by the\n\
         same test.\n\n\
         - **identifier**: one line, no whitespace at either end, no invisible formatting\n\
           characters (zero-width spaces and joiners, directional marks, BOM, soft hyphen…).\n\
         - **one line**: no control characters, no line breaks.\n\
         - **multi-line text**: tab and line breaks allowed, no other control character.\n\
         - Every string refuses NUL and the bidirectional embedding, override and isolate\n\
           controls (U+202A–U+202E, U+2066–U+2069: the Trojan Source characters).\n\
         - Lengths count characters (Unicode scalar values). Every number has a range (both\n\
           ends included), so floating-point values are finite and no sum of them overflows;\n\
           times lie between 1970-01-01 and 2200-01-01 (UTC).\n",
    );
    for (msg, fields) in rows {
        out.push_str(&format!("\n## `{msg}`\n\n| field | rule |\n|---|---|\n"));
        for (f, r) in fields {
            out.push_str(&format!("| `{f}` | {r} |\n"));
        }
    }
    out
}

#[test]
fn the_input_rules_page_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/input-rules.md");
    let page = render();
    if bless() {
        std::fs::write(&path, &page).unwrap();
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == page,
        "docs/input-rules.md is stale: run SYMBOLON_BLESS=1 cargo test -p symbolon-contracts --test input_rules"
    );
}

/// Whether to rewrite what a test checks (`SYMBOLON_BLESS`, or `SYMBOLON_WRITE_DOCS`).
fn bless() -> bool {
    std::env::var_os("SYMBOLON_BLESS").is_some()
        || std::env::var_os("SYMBOLON_WRITE_DOCS").is_some()
}

/// The full names (`.pkg.Msg`) of the messages a request carries: the requests and every
/// message reachable from one (map entries' value messages included).
fn input_messages(fds: &FileDescriptorSet) -> BTreeSet<String> {
    let all = messages(fds);
    let mut todo: Vec<String> = fds
        .file
        .iter()
        .flat_map(|f| &f.service)
        .flat_map(|s| &s.method)
        .map(|m| m.input_type().to_string())
        .collect();
    let mut seen = BTreeSet::new();
    while let Some(name) = todo.pop() {
        if !name.starts_with(".symbolon.") || seen.contains(&name) {
            continue;
        }
        let Some(m) = all.get(&name) else { continue };
        seen.insert(name);
        for f in &m.field {
            if f.r#type() == Type::Message {
                todo.push(f.type_name().to_string());
            }
        }
        for e in &m.nested_type {
            for f in &e.field {
                if f.r#type() == Type::Message {
                    todo.push(f.type_name().to_string());
                }
            }
        }
    }
    seen
}

/// `n` with thousands separators: 1,000,000.
fn grouped(n: f64) -> String {
    if n.fract() != 0.0 || n.abs() > bounds::MAX_SAFE_INTEGER {
        return format!("{n}");
    }
    let digits = format!("{}", n.abs() as i64);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0.0 { format!("-{out}") } else { out }
}

/// A string rule, short: "one line, at most 1,024 characters".
fn text_rule(r: bounds::Rule) -> String {
    let kind = match r.kind {
        bounds::TextKind::Identifier => "identifier",
        bounds::TextKind::Line => "one line",
        bounds::TextKind::Text => "multi-line text",
    };
    format!("{kind}, at most {} characters", grouped(r.max_chars as f64))
}

/// A number range, short: "0 to 1".
fn range_rule(r: bounds::Range) -> String {
    format!("{} to {}", grouped(r.min), grouped(r.max))
}

/// The `// Input:` line of field `f` of request message `msg` (full name, no leading
/// dot), or None for a field without a bound of its own (a bool, an enum, one message).
fn input_comment(
    all: &HashMap<String, &DescriptorProto>,
    msg: &str,
    f: &prost_types::FieldDescriptorProto,
) -> Option<String> {
    let name = f.name();
    let repeated = f.label() == Label::Repeated;
    let max = grouped(bounds::max_items(msg, name) as f64);
    let entry = all
        .get(f.type_name())
        .filter(|e| e.options.as_ref().is_some_and(|o| o.map_entry()));
    if let Some(e) = entry {
        let values = match e.field.iter().find(|x| x.number() == 2).map(|v| v.r#type()) {
            Some(Type::String) => {
                format!("; values {}", text_rule(bounds::map_value_rule(msg, name)))
            }
            Some(Type::Double | Type::Float) => "; values finite".into(),
            _ => String::new(),
        };
        return Some(format!(
            "at most {max} entries; keys {}{values}.",
            text_rule(bounds::Rule::MAP_KEY)
        ));
    }
    let each = match f.r#type() {
        Type::String => Some(text_rule(bounds::string_rule(msg, name))),
        Type::Bytes => Some(format!(
            "at most {} bytes",
            grouped(bounds::DEFAULT_MAX_BYTES as f64)
        )),
        Type::Double => Some(range_rule(bounds::number_range(msg, name, false, 64))),
        Type::Float => Some(range_rule(bounds::number_range(msg, name, false, 32))),
        Type::Int32 | Type::Sint32 | Type::Sfixed32 | Type::Uint32 | Type::Fixed32 => {
            Some(range_rule(bounds::number_range(msg, name, true, 32)))
        }
        Type::Int64 | Type::Sint64 | Type::Sfixed64 | Type::Uint64 | Type::Fixed64 => {
            Some(range_rule(bounds::number_range(msg, name, true, 64)))
        }
        Type::Message if f.type_name() == ".google.protobuf.Timestamp" => {
            Some("1970-01-01 to 2200-01-01 (UTC)".into())
        }
        _ => None,
    };
    match (repeated, each) {
        (false, Some(each)) => Some(format!("{each}.")),
        (true, Some(each)) => Some(format!("at most {max} items, each {each}.")),
        (true, None) => Some(format!("at most {max} items.")),
        (false, None) => None,
    }
}

/// The name of the field a proto line declares (`repeated string parts = 3;`), if any.
fn declared_field(code: &str) -> Option<&str> {
    let code = code.strip_suffix(';')?.trim();
    let (left, number) = code.split_once('=')?;
    number.split_whitespace().next()?.parse::<u32>().ok()?;
    let first = left.split_whitespace().next()?;
    if matches!(first, "option" | "reserved" | "rpc" | "extensions") {
        return None;
    }
    left.split_whitespace().last()
}

/// `text` (a proto file) with the `// Input:` line of every field of a request message
/// rewritten: stated last in the field's leading comment, dropped where no bound applies.
fn with_input_comments(
    text: &str,
    all: &HashMap<String, &DescriptorProto>,
    inputs: &BTreeSet<String>,
) -> String {
    let mut package = String::new();
    // Open blocks: (keyword, name).
    let mut scopes: Vec<(String, String)> = Vec::new();
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        let code = match trimmed.find("//") {
            Some(i) => trimmed[..i].trim_end(),
            None => trimmed.trim_end(),
        };
        if let Some(p) = code.strip_prefix("package ") {
            package = p.trim_end_matches(';').trim().to_string();
        }
        let mut words = code.split_whitespace();
        let first = words.next().unwrap_or_default();
        if matches!(first, "message" | "enum" | "oneof" | "service") && code.contains('{') {
            let name = words.next().unwrap_or_default().trim_end_matches('{');
            scopes.push((first.to_string(), name.to_string()));
            if code.ends_with('}') {
                scopes.pop();
            }
            out.push(line.to_string());
            continue;
        }
        if code == "}" {
            scopes.pop();
            out.push(line.to_string());
            continue;
        }
        let in_message = scopes
            .last()
            .is_some_and(|(k, _)| k == "message" || k == "oneof");
        if in_message && let Some(field) = declared_field(code) {
            let mut full = format!(".{package}");
            for (k, n) in &scopes {
                if k == "message" {
                    full.push('.');
                    full.push_str(n);
                }
            }
            let comment = all
                .get(&full)
                .filter(|_| inputs.contains(&full))
                .and_then(|m| {
                    let f = m.field.iter().find(|f| f.name() == field)?;
                    input_comment(all, full.trim_start_matches('.'), f)
                });
            let indent = &line[..line.len() - trimmed.len()];
            let mut i = out.len();
            while i > 0 && out[i - 1].trim_start().starts_with("//") {
                i -= 1;
                if out[i].trim_start().starts_with("// Input:") {
                    out.remove(i);
                }
            }
            if let Some(c) = comment {
                out.push(format!("{indent}// Input: {c}"));
            }
        }
        out.push(line.to_string());
    }
    let mut s = out.join("\n");
    s.push('\n');
    s
}

fn proto_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            proto_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "proto") {
            out.push(path);
        }
    }
}

#[test]
fn each_request_field_comment_states_its_bound() {
    let fds = FileDescriptorSet::decode(symbolon_contracts::FILE_DESCRIPTOR_SET).unwrap();
    let all = messages(&fds);
    let inputs = input_messages(&fds);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../proto/symbolon");
    let mut files = Vec::new();
    proto_files(&root, &mut files);
    files.sort();
    let mut stale = Vec::new();
    for path in files {
        let have = std::fs::read_to_string(&path).unwrap();
        let want = with_input_comments(&have, &all, &inputs);
        if want != have {
            if bless() {
                std::fs::write(&path, &want).unwrap();
            } else {
                stale.push(path.strip_prefix(&root).unwrap().display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "proto comments do not state the input rules in {stale:?}: run SYMBOLON_BLESS=1 cargo test -p symbolon-contracts --test input_rules"
    );
}

#[test]
fn input_comments_read_as_intended() {
    assert_eq!(grouped(1_000_000_000.0), "1,000,000,000");
    assert_eq!(grouped(-180.0), "-180");
    assert_eq!(grouped(0.0), "0");
    assert_eq!(grouped(2_147_483_647.0), "2,147,483,647");
    assert_eq!(
        text_rule(bounds::Rule::line(200)),
        "one line, at most 200 characters"
    );
    assert_eq!(declared_field("repeated string parts = 3;"), Some("parts"));
    assert_eq!(
        declared_field("map<string, double> weights = 3;"),
        Some("weights")
    );
    assert_eq!(declared_field("reserved 4;"), None);
    assert_eq!(declared_field("SCALE_UNIT = 1;"), Some("SCALE_UNIT"));
}
