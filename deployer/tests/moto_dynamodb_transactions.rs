//! moto's DynamoDB transactions, as the local chain runs them, must be as
//! isolated as DynamoDB's: a cancelled TransactWriteItems may not erase or
//! break writes other clients make meanwhile. moto 5.2.5 does both (it puts
//! back whole-table copies and fails some requests with HTTP 500), which
//! made ABCA's approve/deny refusals — cancelled transactions — roll back
//! other scenarios' writes on moto. tests/support/moto_sfn.py corrects
//! it; tests/support/moto_transactions.py is the load that shows it.
//!
//! The same load runs against the launcher as it is (no write may be lost,
//! no request may fail) and with the correction turned off
//! (`VIGIL_MOTO_UNPATCHED=transact-write-items`), where it must find the
//! defect, so the check is known to be able to fail.

#[path = "../../assertion-provider/tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use support::{Guard, free_port, venv, wait_for_port};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// moto through the launcher (its Lambda proxy pointed nowhere: no Lambda
/// is invoked here), then the load; its counts.
async fn load(unpatched: &str) -> Value {
    let (port, proxy) = (free_port(), free_port());
    let moto = Guard(
        Command::new(venv().join("bin/python"))
            .arg(root().join("tests/support/moto_sfn.py"))
            .args([
                port.to_string(),
                proxy.to_string(),
                "http://127.0.0.1:9".into(),
                "_".into(),
            ])
            .env("VIGIL_MOTO_UNPATCHED", unpatched)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(port).await;
    let out = Command::new(venv().join("bin/python"))
        .arg(root().join("tests/support/moto_transactions.py"))
        .arg(format!("http://127.0.0.1:{port}"))
        .output()
        .unwrap();
    drop(moto);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn cancelled_transactions_keep_concurrent_writes() {
    let corrected = load("").await;
    assert_eq!(corrected["lost"], 0, "{corrected}");
    assert_eq!(corrected["server_errors"], 0, "{corrected}");
    assert_eq!(corrected["cancelled_writes_kept"], 0, "{corrected}");
    assert!(
        corrected["cancelled"].as_u64().unwrap() > 20,
        "the load cancelled too few transactions to mean anything: {corrected}"
    );

    let as_is = load("transact-write-items").await;
    let found = as_is["lost"].as_u64().unwrap() + as_is["server_errors"].as_u64().unwrap();
    assert!(
        found > 0,
        "the load no longer finds moto's defect, so it cannot show the correction works: {as_is}"
    );
}
