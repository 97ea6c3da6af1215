//! The integration tests, in one binary: one link of the library instead of
//! one per file (the slowest step of building the tests). Each file is a
//! module; `common` is the shared kit. Binaries of their own: the tests
//! that set the process's environment for an in-process object-store client
//! (`failover`, `rollback`, `objects`) and `limits`, which measures the
//! peak memory of this process's children.

#[path = "../common/mod.rs"]
mod common;

mod cases;
mod cli;
mod confidential;
mod crash;
mod http;
mod inspect;
mod interop;
mod lifecycle;
mod locks;
mod outputs;
mod reading;
mod readme;
mod report;
mod rogue;
mod rs_merkle;
mod scrapi_async;
mod service;
mod settings;
mod suite;
mod timestamps;
mod token;
mod trust_updates;
mod verifier_page;
