//! The provider's deploy artifact, `bootstrap.zip`: built with cargo-lambda
//! from this checkout, or given with `--artifact`. Its S3 key carries its
//! SHA-256, so a new build changes the key and CloudFormation updates the
//! function, while an unchanged build uploads nothing.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

/// A zip ready to upload.
#[derive(Debug, Clone)]
pub(crate) struct Artifact {
    /// Where it is.
    pub path: PathBuf,
    /// Hex SHA-256 of its bytes.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
}

impl Artifact {
    /// Reads and hashes a zip.
    pub(crate) fn open(path: &Path) -> anyhow::Result<Artifact> {
        let mut file = std::fs::File::open(path)
            .with_context(|| format!("{}: cannot open the artifact", path.display()))?;
        let mut magic = [0u8; 4];
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut size = 0u64;
        loop {
            let n = file
                .read(&mut buf)
                .with_context(|| format!("{}: cannot read", path.display()))?;
            if n == 0 {
                break;
            }
            if size == 0 && n >= 4 {
                magic.copy_from_slice(&buf[..4]);
            }
            size += n as u64;
            hasher.update(&buf[..n]);
        }
        if &magic != b"PK\x03\x04" {
            bail!(
                "{}: not a zip file (expected the `bootstrap.zip` that `cargo lambda build \
                 --output-format zip` writes)",
                path.display()
            );
        }
        let sha256 = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Artifact {
            path: path.to_owned(),
            sha256,
            size,
        })
    }

    /// Hex SHA-256 of bytes in memory.
    pub(crate) fn digest(bytes: &[u8]) -> String {
        Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The S3 key for this artifact in a stack's folder.
    pub(crate) fn key(&self, stack: &str) -> String {
        format!("{stack}/bootstrap-{}.zip", &self.sha256[..16])
    }
}

/// The vigil checkout this binary was built from, when it is still there
/// (the source `vigil deploy` builds the provider from).
pub(crate) fn source_checkout() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?.to_owned();
    root.join("assertion-provider/Cargo.toml")
        .exists()
        .then_some(root)
}

/// Builds the release provider zip with cargo-lambda (x86_64, as the
/// template's `Architectures` says) and returns it.
pub(crate) fn build() -> anyhow::Result<Artifact> {
    let Some(root) = source_checkout() else {
        bail!(
            "this vigil binary was not built from a checkout that is still here, so it cannot \
             build the provider: pass --artifact PATH/bootstrap.zip"
        );
    };
    let out = root.join("target").join("vigil-artifact");
    eprintln!("building the provider (cargo lambda build --release --x86-64) ...");
    let status = Command::new("cargo")
        .args([
            "lambda",
            "build",
            "--release",
            "--x86-64",
            "--output-format",
            "zip",
            "--locked",
            "-p",
            "assertion-provider",
            "--bin",
            "bootstrap",
            "--lambda-dir",
        ])
        .arg(&out)
        .current_dir(&root)
        .status()
        .context(
            "cannot run `cargo lambda`: install cargo-lambda (./scripts/install-tools does) \
             or pass --artifact",
        )?;
    if !status.success() {
        bail!("`cargo lambda build` failed ({status})");
    }
    Artifact::open(&out.join("bootstrap/bootstrap.zip"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zips_are_hashed_and_other_files_refused() {
        let dir = std::env::temp_dir().join(format!("vigil-artifact-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let zip = dir.join("a.zip");
        std::fs::write(&zip, b"PK\x03\x04rest").unwrap();
        let a = Artifact::open(&zip).unwrap();
        assert_eq!(a.size, 8);
        assert_eq!(a.sha256.len(), 64);
        assert_eq!(
            a.key("vigil-smoke"),
            format!("vigil-smoke/bootstrap-{}.zip", &a.sha256[..16])
        );
        let txt = dir.join("a.txt");
        std::fs::write(&txt, b"hello").unwrap();
        let e = Artifact::open(&txt).unwrap_err().to_string();
        assert!(e.contains("not a zip file"), "{e}");
        let e = Artifact::open(&dir.join("missing.zip"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot open the artifact"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
