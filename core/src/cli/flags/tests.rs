use super::*;

#[test]
fn memory_sizes_use_binary_units() {
    assert_eq!(ram_in_bytes("1024"), Ok(1024));
    assert_eq!(ram_in_bytes("1k"), Ok(1024));
    assert_eq!(ram_in_bytes("1.5g"), Ok(1_610_612_736));
    assert_eq!(ram_in_bytes("64MB"), Ok(64 * 1024 * 1024));
    assert!(ram_in_bytes("").is_err());
    assert!(ram_in_bytes("1e400").is_err());
}
