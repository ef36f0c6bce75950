//! Docker's table layout: Go's `text/tabwriter` as the docker CLI configures it.
//!
//! Public API:
//! - [`TabWriter`]: `TabWriter::docker()` (min width 10, padding 3, spaces), `TabWriter::new(minwidth,
//!   padding)`, and `format(&self, text: &str) -> String` over tab-separated, newline-ended lines.
//! - [`table`]`(rows: &[Vec<String>]) -> String`: rows of cells laid out as Docker prints tables.
//!
//! Go's rule: a cell is text ended by a tab; the text after a line's last tab is not a cell and is
//! never padded. A column's width is `max(minwidth, widest cell + padding)` over a *column block*,
//! the run of adjacent lines that have a cell in that column. Cells that are tab-ended are padded
//! even when empty, so Docker's output has trailing spaces where a table's last column is empty
//! (`history` rows without a comment).
//!
//! Why not the `tabwriter` crate: it computes widths as `max(minwidth, cell) + padding` and
//! measures display width (unicode-width) where Go counts runes, so its output differs from Docker's
//! at both ends of the range. The algorithm is short enough to state exactly here.

/// A Go `tabwriter.Writer` with a space pad character and no flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TabWriter {
    pub minwidth: usize,
    pub padding: usize,
}

impl TabWriter {
    /// `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`, what `docker ps`, `images`, `history` and
    /// `system df` use.
    pub fn docker() -> Self {
        Self {
            minwidth: 10,
            padding: 3,
        }
    }

    pub fn new(minwidth: usize, padding: usize) -> Self {
        Self { minwidth, padding }
    }

    /// Lays out `text`: lines end with `\n`, cells with `\t`.
    pub fn format(&self, text: &str) -> String {
        let ends_with_newline = text.ends_with('\n');
        let body = text.strip_suffix('\n').unwrap_or(text);
        let lines: Vec<Vec<&str>> = body.split('\n').map(|line| line.split('\t').collect()).collect();
        let widths = self.widths(&lines);

        let mut out = String::with_capacity(text.len() * 2);
        for (i, (cells, widths)) in lines.iter().zip(&widths).enumerate() {
            if i > 0 {
                out.push('\n');
            }
            for (j, cell) in cells.iter().enumerate() {
                out.push_str(cell);
                if let Some(&width) = widths.get(j) {
                    let used = cell.chars().count();
                    out.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
                }
            }
        }
        if ends_with_newline {
            out.push('\n');
        }
        out
    }

    /// The padded width of every tab-ended cell, line by line.
    fn widths(&self, lines: &[Vec<&str>]) -> Vec<Vec<usize>> {
        let mut widths: Vec<Vec<usize>> = vec![Vec::new(); lines.len()];
        for start in 0..lines.len() {
            let cells = lines.get(start).map_or(0, Vec::len);
            // Columns this line opens: those not already measured as part of a block above.
            let first_new = widths.get(start).map_or(0, Vec::len);
            for column in first_new..cells.saturating_sub(1) {
                let block: Vec<&Vec<&str>> = lines
                    .iter()
                    .skip(start)
                    .take_while(|line| column + 1 < line.len())
                    .collect();
                let width = block
                    .iter()
                    .filter_map(|line| line.get(column))
                    .map(|cell| cell.chars().count() + self.padding)
                    .fold(self.minwidth, usize::max);
                for w in widths.iter_mut().skip(start).take(block.len()) {
                    w.push(width);
                }
            }
        }
        widths
    }
}

/// Lays out rows of cells the way Docker prints its tables. Each row is one line; the last cell
/// of a row is not padded.
pub fn table(rows: &[Vec<String>]) -> String {
    let mut text = String::new();
    for row in rows {
        text.push_str(&row.join("\t"));
        text.push('\n');
    }
    TabWriter::docker().format(&text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn narrow_columns_get_the_minimum_width() {
        let out = table(&[
            row(&["REPOSITORY", "TAG", "IMAGE ID"]),
            row(&["nginx", "1.15.8", "abc"]),
        ]);
        assert_eq!(
            out,
            "REPOSITORY   TAG       IMAGE ID\nnginx        1.15.8    abc\n"
        );
    }

    #[test]
    fn empty_tab_ended_cells_are_padded() {
        let out = table(&[row(&["SIZE", "COMMENT"]), row(&["0B", ""])]);
        assert_eq!(out, "SIZE      COMMENT\n0B        \n");
    }

    #[test]
    fn column_blocks_end_where_a_line_has_fewer_cells() {
        let out = TabWriter::docker().format("a\tb\nlong-long-long\tc\nheading\nx\ty\n");
        assert_eq!(
            out,
            "a                b\nlong-long-long   c\nheading\nx         y\n"
        );
    }

    #[test]
    fn widths_count_runes_not_bytes() {
        let out = table(&[row(&["abcdefghi…", "x"]), row(&["a", "y"])]);
        assert_eq!(out, "abcdefghi…   x\na            y\n");
    }

    #[test]
    fn text_without_final_newline_stays_so() {
        assert_eq!(TabWriter::new(0, 1).format("a\tb"), "a b");
        assert_eq!(TabWriter::docker().format(""), "");
    }

    proptest! {
        #[test]
        fn any_text_lays_out_and_keeps_every_line(text in "[a-z\t\n…]{0,80}") {
            let out = TabWriter::docker().format(&text);
            prop_assert_eq!(out.matches('\n').count(), text.matches('\n').count());
            prop_assert!(!out.contains('\t'));
        }
    }
}
