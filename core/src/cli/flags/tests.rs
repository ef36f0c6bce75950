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

fn words(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_string).collect()
}

fn spec(path: &str) -> &'static Spec {
    let mut spec = &super::super::grammar::ROOT;
    for word in path.split_whitespace() {
        spec = spec
            .child(word)
            .unwrap_or_else(|| panic!("{word} is in the table"));
    }
    spec
}

#[test]
fn groups_stop_at_the_command_word() {
    let m = match_words(spec(""), "docker", &words("--explain ps -a --engine x")).expect("valid");
    assert!(m.on("explain"));
    assert_eq!(m.text("engine"), None);
    assert_eq!(m.operands, words("ps -a --engine x"));
}

#[test]
fn other_commands_read_flags_between_operands() {
    let m = match_words(spec("rm"), "docker rm", &words("a -f b -v c")).expect("valid");
    assert!(m.on("force") && m.on("volumes"));
    assert_eq!(m.operands, words("a b c"));
    let m = match_words(spec("exec"), "docker exec", &words("-e A=1 box env -e B=2")).expect("valid");
    assert_eq!(m.list("env"), ["A=1"]);
    assert_eq!(m.operands, words("box env -e B=2"));
}

#[test]
fn defaults_and_typed_values() {
    let m = match_words(spec("history"), "docker history", &words("nginx")).expect("valid");
    assert!(m.on("human"), "-H is on unless turned off");
    assert!(!m.on("quiet"));
    let m = match_words(spec("run"), "docker run", &words("--pids-limit=-5 -m 2k x")).expect("valid");
    assert_eq!(m.int("pids-limit"), Some(-5));
    assert_eq!(m.bytes("memory"), Some(2048));
    assert!(!m.help);
    let m = match_words(spec("ps"), "docker ps", &words("-qh")).expect("valid");
    assert!(m.help && m.on("quiet"));
}

#[test]
fn go_spellings_of_bools_and_ints() {
    for yes in ["1", "t", "T", "true", "TRUE", "True"] {
        assert_eq!(go_bool(yes), Ok(true), "{yes}");
    }
    for no in ["0", "f", "F", "false", "FALSE", "False"] {
        assert_eq!(go_bool(no), Ok(false), "{no}");
    }
    assert_eq!(
        go_bool("yes"),
        Err("strconv.ParseBool: parsing \"yes\": invalid syntax".to_string())
    );
    assert_eq!(go_int("-12"), Ok(-12));
    assert_eq!(
        go_int("1.5"),
        Err("strconv.ParseInt: parsing \"1.5\": invalid syntax".to_string())
    );
}
