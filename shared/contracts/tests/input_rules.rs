//! `docs/input-rules.md` is the input rule of every request field, generated from the
//! descriptor set and `src/bounds.rs`; this test fails when the page is stale.
//! Refresh it with `SYMBOLON_WRITE_DOCS=1 cargo test -p symbolon-contracts --test input_rules`.
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
         with `SYMBOLON_WRITE_DOCS=1 cargo test -p symbolon-contracts --test input_rules`).\n\n\
         Every request is checked against these rules when it is decoded, before any handler\n\
         runs (`shared/contracts/src/hygiene.rs`); a request that breaks one gets\n\
         INVALID_ARGUMENT with a `BadRequest` naming each field as sent\n\
         (`fire_request.parts[1].part_number`, `entries[0].attributes[\"k\"]`). Handlers add\n\
         the rules only they know (formats, ranges, references), documented on each field.\n\n\
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
    if std::env::var_os("SYMBOLON_WRITE_DOCS").is_some() {
        std::fs::write(&path, &page).unwrap();
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == page,
        "docs/input-rules.md is stale: run SYMBOLON_WRITE_DOCS=1 cargo test -p symbolon-contracts --test input_rules"
    );
}
