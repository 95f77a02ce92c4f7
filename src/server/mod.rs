//! (server: being written.)
