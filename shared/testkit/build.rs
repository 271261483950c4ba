//! Generates an `Rpc` impl for every unary method declared in `proto/`: the client and
//! method a request message goes to and what it answers, so that a test sends a
//! request by its type (`call(channel, token, request)`) instead of spelling out the
//! client, the method and the unwrapping at every call.

use heck::ToSnakeCase;
use std::{fmt::Write as _, path::Path};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../proto/symbolon");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut out = String::new();
    for package in ["customers", "labs", "quality", "supplychain"] {
        let dir = root.join(package).join("v1");
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "proto") {
                files.push(path);
            }
        }
        files.sort();
        for file in files {
            // Declarations may span lines: read the file as one line of tokens, without
            // its comments.
            let text: String = std::fs::read_to_string(&file)?
                .lines()
                .map(|l| l.split_once("//").map_or(l, |(code, _)| code))
                .collect::<Vec<_>>()
                .join(" ");
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            let mut service = String::new();
            for part in text.split(['{', ';', '}']).map(str::trim) {
                if let Some(rest) = part.strip_prefix("service ") {
                    service = rest.trim().to_string();
                } else if let Some(rest) = part.strip_prefix("rpc ") {
                    // Streams need a stream of requests or answers: not `Rpc`.
                    if rest.contains("stream ") {
                        continue;
                    }
                    let (method, rest) = rest.split_once('(').ok_or("rpc without a request")?;
                    let method = method.trim();
                    let (request, rest) = rest.split_once(')').ok_or("rpc without a request")?;
                    let request = request.trim();
                    let reply = rest
                        .split_once('(')
                        .and_then(|(_, r)| r.split_once(')'))
                        .ok_or("rpc without a reply")?
                        .0
                        .trim();
                    let reply = match reply {
                        "google.protobuf.Empty" => "()".to_string(),
                        r => format!("symbolon_contracts::{package}::v1::{r}"),
                    };
                    let client = format!(
                        "symbolon_contracts::{package}::v1::{}_client::{service}Client",
                        service.to_snake_case()
                    );
                    let method = method.to_snake_case();
                    writeln!(
                        out,
                        "impl Rpc for symbolon_contracts::{package}::v1::{request} {{
    type Reply = {reply};
    fn send(self, channel: Channel, token: &str) -> Pending<Self::Reply> {{
        let request = crate::authed(token, self);
        Box::pin(async move {{
            {client}::new(channel).{method}(request).await.map(tonic::Response::into_inner)
        }})
    }}
}}"
                    )?;
                }
            }
        }
    }
    let path = Path::new(&std::env::var("OUT_DIR")?).join("rpc.rs");
    std::fs::write(path, out)?;
    Ok(())
}
