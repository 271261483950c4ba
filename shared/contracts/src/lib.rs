//! The Symbolon protobuf contracts, generated at build time.
//!
//! Every service implements its server from here and calls the others through the
//! clients generated here: services never share Rust types beyond these.
#![allow(
    missing_docs,
    unreachable_pub,
    clippy::all,
    clippy::unwrap_used,
    clippy::expect_used
)]

pub mod bounds;
pub mod hygiene;

mod generated_hygiene {
    include!(concat!(env!("OUT_DIR"), "/hygiene.rs"));
}

mod generated_request_ids {
    include!(concat!(env!("OUT_DIR"), "/request_ids.rs"));
}

/// A request that carries a client `request_id` (AIP-155): implemented, generated, by
/// every message with a top-level `request_id` string field.
pub trait RequestId: prost::Message + Clone {
    /// The client's id, as sent.
    fn request_id(&self) -> &str;
    /// The same request without its id: what a retry must repeat exactly.
    fn without_request_id(&self) -> Self;
}

/// The encoded `FileDescriptorSet` of every Symbolon proto, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/symbolon_descriptor.bin"));

pub mod common {
    pub mod v1 {
        tonic::include_proto!("symbolon.common.v1");
    }
}

pub mod customers {
    pub mod v1 {
        tonic::include_proto!("symbolon.customers.v1");
    }
}

pub mod supplychain {
    pub mod v1 {
        tonic::include_proto!("symbolon.supplychain.v1");
    }
}

pub mod labs {
    pub mod v1 {
        tonic::include_proto!("symbolon.labs.v1");
    }
}

pub mod quality {
    pub mod v1 {
        tonic::include_proto!("symbolon.quality.v1");
    }
}

pub mod bench {
    pub mod v1 {
        tonic::include_proto!("symbolon.bench.v1");
    }
}
