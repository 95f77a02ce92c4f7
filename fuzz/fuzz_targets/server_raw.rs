//! Fuzz target: raw request bytes (request line, headers, pipelined
//! requests) over loopback to the real accept loop and router (see
//! `raw::RawServer::request`).
#![no_main]

use std::sync::LazyLock;

use dxmap_fuzz::raw::RawServer;
use libfuzzer_sys::fuzz_target;

static SERVER: LazyLock<RawServer> = LazyLock::new(RawServer::new);

fuzz_target!(|data: &[u8]| {
    SERVER.request(data);
});
