//! Reading engine output for comparison: table cells, clock cells and row sets, shared by the
//! tests that hold one engine's output against another's (Docker, the native engine, the
//! simulator).

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Table cells: Docker's tables separate columns by at least two spaces (cells hold single ones).
pub fn cells(line: &str) -> Vec<String> {
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A container's clock cell (`5 seconds ago`, `Up 3 seconds`, `Exited (137) 1 second ago`) keeps
/// only its stable part: engines compared read different clocks.
pub fn clock_cell(cell: &str) -> String {
    let recent = ["second", "minute", "Less than"];
    if cell.starts_with("Up ") {
        "Up".to_owned()
    } else if cell.starts_with("Exited (") {
        cell.split(')').next().map_or(String::new(), |s| format!("{s})"))
    } else if cell.ends_with(" ago") && recent.iter().any(|r| cell.contains(r)) {
        "<created>".to_owned()
    } else {
        cell.to_owned()
    }
}

/// Rows after the first line compared as a set: `images` sorts by creation time only, and
/// fixtures made in the same second come in whatever order the image map yields, in Docker too.
pub fn rows_as_a_set(out: &str) -> String {
    let mut lines = out.lines();
    let header = lines.next().unwrap_or_default();
    let mut rows: Vec<&str> = lines.collect();
    rows.sort_unstable();
    format!("{header}\n{}", rows.join("\n"))
}
