//! Any bytes as a teczka log, or as an inclusion proof: verifying must name what is wrong,
//! never panic or hang (`teczka log verify` and `verify --log` read files anyone may hand in).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use teczka::{log_lines_of, verify_log_lines, FileRef, LogProof, TrustedKey};

/// A fixed public key: checkpoints in the input are checked against it (and fail, unless the
/// fuzzer finds an Ed25519 forgery).
const KEY: &str = "RWSF38Ft00YLN2hv8T58cljwlo97GBUva6l3as73jkyx3im0iV+CaMdt";

fuzz_target!(|data: &[u8]| {
    let key = TrustedKey::from_text(KEY).expect("a valid key");
    if let Ok(lines) = log_lines_of(data, Path::new("fuzz.log")) {
        let kept = std::str::from_utf8(data).ok();
        let _ = verify_log_lines(&lines, &key, kept);
    }
    if let Ok(proof) = serde_json::from_slice::<LogProof>(data) {
        let file = FileRef { sha256: "00".repeat(32), bytes: 1 };
        let _ = proof.check(&file, &key);
    }
});
