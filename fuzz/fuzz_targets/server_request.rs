//! Fuzz target: one HTTP request (tile path, query string or score body)
//! against the router over a small grid (see `harness::Server::request`).
#![no_main]

use std::sync::LazyLock;

use dxmap_fuzz::harness::Server;
use libfuzzer_sys::fuzz_target;

static SERVER: LazyLock<Server> = LazyLock::new(Server::new);

fuzz_target!(|data: &[u8]| SERVER.request(data));
