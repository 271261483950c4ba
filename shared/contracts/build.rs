//! Compiles every `.proto` under `proto/` with protox (pure Rust: no system `protoc`),
//! generates prost messages and tonic clients/servers, writes the encoded file
//! descriptor set for server reflection, and generates the input checks of every
//! message (`hygiene.rs`: one `Walk` impl per message, with each field's rule from
//! `src/bounds.rs`).

use heck::{ToSnakeCase, ToUpperCamelCase};
use prost_types::{
    DescriptorProto, FileDescriptorSet,
    field_descriptor_proto::{Label, Type},
};
use std::{
    collections::HashMap,
    fmt::Write as _,
    path::{Path, PathBuf},
};

#[allow(dead_code)]
mod bounds {
    include!("src/bounds.rs");
}

fn protos(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            protos(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "proto") {
            out.push(path);
        }
    }
    Ok(())
}

/// prost's identifiers: raw identifiers for keywords, as `prost_build::ident` does.
fn sanitize(ident: String) -> String {
    match ident.as_str() {
        "as" | "break" | "const" | "continue" | "else" | "enum" | "false" | "fn" | "for" | "if"
        | "impl" | "in" | "let" | "loop" | "match" | "mod" | "move" | "mut" | "pub" | "ref"
        | "return" | "static" | "struct" | "trait" | "true" | "type" | "unsafe" | "use"
        | "where" | "while" | "dyn" | "abstract" | "become" | "box" | "do" | "final" | "macro"
        | "override" | "priv" | "typeof" | "unsized" | "virtual" | "yield" | "async" | "await"
        | "try" | "gen" => format!("r#{ident}"),
        "_" | "super" | "self" | "Self" | "extern" | "crate" => format!("{ident}_"),
        _ => ident,
    }
}

fn snake(s: &str) -> String {
    sanitize(s.to_snake_case())
}

fn camel(s: &str) -> String {
    sanitize(s.to_upper_camel_case())
}

/// A message of ours, with where prost puts it.
struct Message<'a> {
    full_name: String,
    rust: String,
    /// The Rust module of its nested types (oneof enums).
    module: String,
    proto: &'a DescriptorProto,
}

/// Every message and enum of the Symbolon packages, by full name (`.pkg.Msg`).
struct Types<'a> {
    messages: Vec<Message<'a>>,
    /// Full name → Rust path, for messages and enums.
    paths: HashMap<String, String>,
    /// Full names of map entry types → the entry.
    map_entries: HashMap<String, &'a DescriptorProto>,
    /// Full names (`.pkg.Msg`) of the messages some method takes as its request.
    inputs: std::collections::HashSet<String>,
}

fn collect<'a>(fds: &'a FileDescriptorSet) -> Types<'a> {
    let mut types = Types {
        messages: Vec::new(),
        paths: HashMap::new(),
        map_entries: HashMap::new(),
        inputs: Default::default(),
    };
    for file in &fds.file {
        for service in &file.service {
            for method in &service.method {
                types.inputs.insert(method.input_type().to_string());
            }
        }
        let package = file.package();
        let Some(rest) = package.strip_prefix("symbolon.") else {
            continue;
        };
        let module = format!("crate::{}", rest.replace('.', "::"));
        for e in &file.enum_type {
            types.paths.insert(
                format!(".{package}.{}", e.name()),
                format!("{module}::{}", camel(e.name())),
            );
        }
        for m in &file.message_type {
            walk_message(&mut types, m, &format!(".{package}"), &module);
        }
    }
    types
}

fn walk_message<'a>(types: &mut Types<'a>, m: &'a DescriptorProto, scope: &str, module: &str) {
    let full = format!("{scope}.{}", m.name());
    if m.options.as_ref().is_some_and(|o| o.map_entry()) {
        types.map_entries.insert(full, m);
        return;
    }
    let rust = format!("{module}::{}", camel(m.name()));
    let nested_module = format!("{module}::{}", snake(m.name()));
    types.paths.insert(full.clone(), rust.clone());
    for e in &m.enum_type {
        types.paths.insert(
            format!("{full}.{}", e.name()),
            format!("{nested_module}::{}", camel(e.name())),
        );
    }
    for n in &m.nested_type {
        walk_message(types, n, &full, &nested_module);
    }
    types.messages.push(Message {
        full_name: full.trim_start_matches('.').to_string(),
        rust,
        module: nested_module,
        proto: m,
    });
}

/// The width of an integer type.
fn int_bits(t: Type) -> u32 {
    match t {
        Type::Int32 | Type::Sint32 | Type::Sfixed32 | Type::Uint32 | Type::Fixed32 => 32,
        _ => 64,
    }
}

/// The statement that checks one value of a field, or None when nothing is checked.
/// `value` is an expression of the field's element type (by reference for strings and
/// messages, by value for numbers).
fn check_one(
    types: &Types<'_>,
    msg: &str,
    f: &prost_types::FieldDescriptorProto,
    value: &str,
) -> Option<String> {
    let name = f.name();
    match f.r#type() {
        Type::String => Some(format!(
            "w.string({name:?}, {value}, {});",
            bounds::string_rule(msg, name).to_rust()
        )),
        Type::Bytes => Some(format!(
            "w.bytes({name:?}, ({value}).len(), {});",
            bounds::DEFAULT_MAX_BYTES
        )),
        Type::Double => Some(format!(
            "w.number({name:?}, *{value}, {});",
            bounds::number_range(msg, name, false, 64).to_rust()
        )),
        Type::Float => Some(format!(
            "w.number({name:?}, f64::from(*{value}), {});",
            bounds::number_range(msg, name, false, 32).to_rust()
        )),
        Type::Int32
        | Type::Sint32
        | Type::Sfixed32
        | Type::Uint32
        | Type::Fixed32
        | Type::Int64
        | Type::Sint64
        | Type::Sfixed64
        | Type::Uint64
        | Type::Fixed64 => Some(format!(
            "w.int({name:?}, i128::from(*{value}), {});",
            bounds::number_range(msg, name, true, int_bits(f.r#type())).to_rust()
        )),
        // Enum values are the handlers' to check: they report them with the request's
        // other violations.
        Type::Message if f.type_name() == ".google.protobuf.Timestamp" => {
            Some(format!("w.timestamp({name:?}, {value});"))
        }
        Type::Message => types
            .paths
            .get(f.type_name())
            .map(|_| format!("w.message({name:?}, Some({value}));")),
        _ => None,
    }
}

fn generate(types: &Types<'_>) -> String {
    let mut out = String::from(
        "// Generated by build.rs from the descriptor set and src/bounds.rs: do not edit.\n",
    );
    for m in &types.messages {
        let msg = m.full_name.as_str();
        // Requests are checked when decoded (only servers decode them); resources and
        // responses that clients decode are not.
        let checked = types.inputs.contains(&format!(".{msg}"));
        let mut body = String::new();
        let mut oneofs: HashMap<i32, Vec<&prost_types::FieldDescriptorProto>> = HashMap::new();
        for f in &m.proto.field {
            let name = f.name();
            let ident = snake(name);
            if f.proto3_optional() {
                if let Some(stmt) = check_one(types, msg, f, "v") {
                    let _ = writeln!(body, "if let Some(v) = &self.{ident} {{ {stmt} }}");
                }
                continue;
            }
            if let Some(i) = f.oneof_index {
                oneofs.entry(i).or_default().push(f);
                continue;
            }
            if f.label() == Label::Repeated {
                let max = bounds::max_items(msg, name);
                if let Some(entry) = types.map_entries.get(f.type_name()) {
                    let value = entry.field.iter().find(|x| x.number() == 2);
                    let stmt = match value.map(|v| (v.r#type(), v)) {
                        Some((Type::String, _)) => format!(
                            "w.string_map({name:?}, self.{ident}.iter(), {max}, {});",
                            bounds::map_value_rule(msg, name).to_rust()
                        ),
                        Some((Type::Double, _)) => {
                            format!("w.float_map({name:?}, self.{ident}.iter(), {max});")
                        }
                        Some((Type::Message, v)) if types.paths.contains_key(v.type_name()) => {
                            format!("w.message_map({name:?}, self.{ident}.iter(), {max});")
                        }
                        _ => format!("w.count({name:?}, self.{ident}.len(), {max});"),
                    };
                    let _ = writeln!(body, "{stmt}");
                    continue;
                }
                let stmt = match f.r#type() {
                    Type::String => format!(
                        "w.strings({name:?}, &self.{ident}, {}, {max});",
                        bounds::string_rule(msg, name).to_rust()
                    ),
                    Type::Message if types.paths.contains_key(f.type_name()) => {
                        format!("w.messages({name:?}, &self.{ident}, {max});")
                    }
                    _ => match check_one(types, msg, f, "v") {
                        Some(each) => format!(
                            "if w.count({name:?}, self.{ident}.len(), {max}) {{ for v in &self.{ident} {{ {each} }} }}"
                        ),
                        None => format!("w.count({name:?}, self.{ident}.len(), {max});"),
                    },
                };
                let _ = writeln!(body, "{stmt}");
                continue;
            }
            let value = match f.r#type() {
                Type::Message => format!("self.{ident}.as_ref()"),
                _ => format!("&self.{ident}"),
            };
            let stmt = match f.r#type() {
                Type::Message if f.type_name() == ".google.protobuf.Timestamp" => Some(format!(
                    "if let Some(v) = {value} {{ w.timestamp({name:?}, v); }}"
                )),
                Type::Message if types.paths.contains_key(f.type_name()) => {
                    Some(format!("w.message({name:?}, {value});"))
                }
                Type::Message => None,
                _ => check_one(types, msg, f, &value),
            };
            if let Some(stmt) = stmt {
                let _ = writeln!(body, "{stmt}");
            }
        }
        let mut indexes: Vec<_> = oneofs.keys().copied().collect();
        indexes.sort();
        for i in indexes {
            let Some(decl) = m.proto.oneof_decl.get(i as usize) else {
                continue;
            };
            let field = snake(decl.name());
            let enum_path = format!("{}::{}", m.module, camel(decl.name()));
            let mut arms = String::new();
            for f in &oneofs[&i] {
                let variant = camel(f.name());
                match check_one(types, msg, f, "v") {
                    Some(stmt) => {
                        let _ = writeln!(arms, "{enum_path}::{variant}(v) => {{ {stmt} }}");
                    }
                    None => {
                        let _ = writeln!(arms, "{enum_path}::{variant}(_) => {{}}");
                    }
                }
            }
            let _ = writeln!(
                body,
                "if let Some(one) = &self.{field} {{ match one {{ {arms} }} }}"
            );
        }
        let uses_w = !body.is_empty();
        let _ = writeln!(
            out,
            "impl crate::hygiene::Walk for {rust} {{\n    const CHECKED: bool = {checked};\n    #[allow(unused_variables)]\n    fn walk(&self, {w}: &mut crate::hygiene::Walker) {{\n{body}    }}\n}}",
            rust = m.rust,
            w = if uses_w { "w" } else { "_w" },
        );
    }
    out
}

/// `RequestId` impls: one per message with a top-level `request_id` string field.
fn request_ids(types: &Types<'_>) -> String {
    let mut out = String::new();
    for m in &types.messages {
        let has_id = m.proto.field.iter().any(|f| {
            f.name() == "request_id"
                && f.r#type() == prost_types::field_descriptor_proto::Type::String
        });
        if has_id {
            out.push_str(&format!(
                "impl crate::RequestId for {rust} {{\n    fn request_id(&self) -> &str {{\n        &self.request_id\n    }}\n    fn without_request_id(&self) -> Self {{\n        Self {{ request_id: String::new(), ..self.clone() }}\n    }}\n}}\n",
                rust = m.rust
            ));
        }
    }
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let mut files = Vec::new();
    protos(&root, &mut files)?;
    files.sort();
    println!("cargo:rerun-if-changed={}", root.display());
    println!("cargo:rerun-if-changed=src/bounds.rs");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }

    let fds = protox::compile(&files, [&root])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out.join("symbolon_descriptor.bin"),
        prost::Message::encode_to_vec(&fds),
    )?;
    let types = collect(&fds);
    std::fs::write(out.join("hygiene.rs"), generate(&types))?;
    std::fs::write(out.join("request_ids.rs"), request_ids(&types))?;

    // Maps are BTreeMaps: a message then always encodes to the same bytes, which
    // request fingerprints (`RequestId`) rely on; a HashMap encodes in a random order.
    tonic_prost_build::configure()
        .btree_map(".")
        .build_client(true)
        .build_server(true)
        .codec_path("crate::hygiene::CheckedCodec")
        .compile_fds(fds)?;
    Ok(())
}
