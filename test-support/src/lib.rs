//! The real parts vigil's tests start, on 127.0.0.1 only, and stop when
//! they are dropped: moto (plain or through the launcher), the local chain
//! (moto, its Lambda proxy, `cargo lambda watch`, the release provider), a
//! scripted HTTP server, a fault-injecting proxy, and providers and
//! requests built as the Lambda builds them. One crate, so every test
//! binary starts them the same way.

pub mod chain;
pub mod fault_proxy;
pub mod lambda;
pub mod moto;
pub mod processes;
pub mod provider;
pub mod stub;

pub use lambda::{bootstrap_command, bootstrap_zip, start_watch, unpack_bootstrap};
pub use moto::{
    Moto, aws, bucket_versioning, create_tasks_table, sdk_config, start_launcher, tasks_on_moto,
    venv,
};
pub use processes::{Guard, ScratchDir, free_port, start_announcing, start_listening};
pub use provider::{aws_client, http_client, provider, request, test_credentials};
pub use stub::{Reply, Seen, Stub, read_request};
