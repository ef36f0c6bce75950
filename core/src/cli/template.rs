//! The part of Go's `text/template` that `--format` is used with in practice: literal text and
//! field actions (`{{.ID}}`, `{{ .Names }}`), and Docker's `table` prefix.
//!
//! Public API:
//! - [`Template::parse`]`(&str) -> Result<Template, TemplateError>` and
//!   `Template::execute(&self, lookup) -> Result<String, TemplateError>`.
//! - [`render_list`]`(format, context, fields, rows, field) -> Result<String, TemplateError>`:
//!   Docker's list output. A `table …` format prints a header row and goes through the tabwriter;
//!   `json` (or `{{json .}}`) prints each row as one JSON object of all its fields; any other
//!   format prints one line per row as is.
//!
//! Pipelines, functions (`join`, `upper`, `json` of a single field) and control structures are
//! not supported and are reported as errors rather than printed wrongly.

use super::table::TabWriter;

/// Why a `--format` template cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("template parsing error: template: :1: unclosed action")]
    Unclosed { template: String },
    #[error(
        "template parsing error: template: :1: {action:?} is not supported here: use fields such as {{{{.ID}}}}"
    )]
    Unsupported { template: String, action: String },
    #[error(
        "template: :1:{column}: executing \"\" at <.{field}>: can't evaluate field {field} in type {context}"
    )]
    UnknownField {
        field: String,
        column: usize,
        context: &'static str,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    /// A field name and the byte column of its `.` (Go reports errors there).
    Field {
        name: String,
        column: usize,
    },
}

/// A parsed `--format` template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<Piece>,
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut pieces = Vec::new();
        let mut rest = text;
        let mut offset = 0;
        while let Some(open) = rest.find("{{") {
            let (literal, after_open) = rest.split_at(open);
            if !literal.is_empty() {
                pieces.push(Piece::Text(literal.to_string()));
            }
            let inner_start = offset + open + 2;
            let Some(after_braces) = after_open.get(2..) else {
                return Err(TemplateError::Unclosed {
                    template: text.to_string(),
                });
            };
            let Some(close) = after_braces.find("}}") else {
                return Err(TemplateError::Unclosed {
                    template: text.to_string(),
                });
            };
            let raw = after_braces.get(..close).unwrap_or_default();
            let action = raw.trim();
            let column = inner_start + (raw.len() - raw.trim_start().len());
            let name = action
                .strip_prefix('.')
                .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
            match name {
                Some(name) => pieces.push(Piece::Field {
                    name: name.to_string(),
                    column,
                }),
                None => {
                    return Err(TemplateError::Unsupported {
                        template: text.to_string(),
                        action: action.to_string(),
                    });
                }
            }
            let consumed = open + 2 + close + 2;
            rest = rest.get(consumed..).unwrap_or_default();
            offset += consumed;
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_string()));
        }
        Ok(Template { pieces })
    }

    /// Fills in the fields. `lookup` returns `None` for a field the row type does not have;
    /// `context` names that type in the error, as Go does (`*formatter.ContainerContext`).
    pub fn execute(
        &self,
        context: &'static str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<String, TemplateError> {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Field { name, column } => match lookup(name) {
                    Some(value) => out.push_str(&value),
                    None => {
                        return Err(TemplateError::UnknownField {
                            field: name.clone(),
                            column: *column,
                            context,
                        });
                    }
                },
            }
        }
        Ok(out)
    }
}

/// Docker's `\t` and `\n` escapes in a format string, which shells pass through literally.
fn unescape(format: &str) -> String {
    format.replace("\\t", "\t").replace("\\n", "\n")
}

/// Docker's list output for `format`. `fields` lists each field's name and column header, sorted
/// by name (the key order of Go's JSON encoding of a map).
pub fn render_list<R>(
    format: &str,
    context: &'static str,
    fields: &[(&str, &str)],
    rows: &[R],
    field: impl Fn(&R, &str) -> Option<String>,
) -> Result<String, TemplateError> {
    if matches!(format.trim(), "json" | "{{json .}}" | "{{ json . }}") {
        return Ok(rows
            .iter()
            .map(|row| json_line(fields, |name| field(row, name)))
            .collect());
    }
    let (is_table, body) = match format.strip_prefix("table") {
        Some(rest) if rest.is_empty() || rest.starts_with(' ') => (true, rest),
        _ => (false, format),
    };
    let template = Template::parse(&unescape(body.trim_matches(' ')))?;
    let mut text = String::new();
    for row in rows {
        text.push_str(&template.execute(context, |name| field(row, name))?);
        text.push('\n');
    }
    if !is_table {
        return Ok(text);
    }
    // Go looks header names up in a map, where a missing key prints as empty text.
    let header = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, h)| h.to_string())
    };
    let head = template.execute(context, |name| Some(header(name).unwrap_or_default()))?;
    Ok(TabWriter::docker().format(&format!("{head}\n{text}")))
}

/// One row as Go's `json.Marshal` writes a map of strings: sorted keys, no spaces, and `<`, `>`
/// and `&` escaped.
fn json_line(fields: &[(&str, &str)], value: impl Fn(&str) -> Option<String>) -> String {
    // Owned keys: the map type is then the one the rest of core uses, not one more BTreeMap instance
    // in the page's bundle. `extend`, not `collect`: see crate::sort on BTree collects.
    let mut map = std::collections::BTreeMap::<String, String>::new();
    map.extend(
        fields
            .iter()
            .map(|(name, _)| ((*name).to_owned(), value(name).unwrap_or_default())),
    );
    let text = serde_json::to_string(&map).unwrap_or_else(|_| "{}".to_string());
    format!("{}\n", go_json_escape(&text))
}

/// Go's JSON encoder escapes these for safe embedding in HTML; Docker's output shows them so.
pub fn go_json_escape(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn field(row: &(&str, &str), name: &str) -> Option<String> {
        match name {
            "ID" => Some(row.0.to_string()),
            "Names" => Some(row.1.to_string()),
            _ => None,
        }
    }

    const FIELDS: &[(&str, &str)] = &[("ID", "CONTAINER ID"), ("Names", "NAMES")];

    #[test]
    fn table_format_prints_header_and_aligns() {
        let rows = [("f603622e49a1", "demo"), ("0123456789ab", "web")];
        let out = render_list("table {{.ID}}\\t{{.Names}}", "T", FIELDS, &rows, field).expect("valid");
        assert_eq!(
            out,
            "CONTAINER ID   NAMES\nf603622e49a1   demo\n0123456789ab   web\n"
        );
    }

    #[test]
    fn plain_format_prints_lines_as_is() {
        let rows = [("f603622e49a1", "demo")];
        let out = render_list("{{ .Names }}: {{.ID}}", "T", FIELDS, &rows, field).expect("valid");
        assert_eq!(out, "demo: f603622e49a1\n");
    }

    #[test]
    fn unknown_fields_and_functions_are_errors() {
        let rows = [("a", "b")];
        let err = render_list("x {{.Foo}}", "*formatter.ContainerContext", FIELDS, &rows, field);
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err(
                "template: :1:4: executing \"\" at <.Foo>: can't evaluate field Foo in type \
                 *formatter.ContainerContext"
                    .to_string()
            )
        );
        assert!(matches!(
            Template::parse("{{json .}}"),
            Err(TemplateError::Unsupported { .. })
        ));
        assert!(matches!(
            Template::parse("{{.ID"),
            Err(TemplateError::Unclosed { .. })
        ));
    }

    #[test]
    fn json_prints_one_object_per_row() {
        let rows = [("f603622e49a1", "a<b>&c")];
        let out = render_list("json", "T", FIELDS, &rows, field).expect("valid");
        assert_eq!(
            out,
            "{\"ID\":\"f603622e49a1\",\"Names\":\"a\\u003cb\\u003e\\u0026c\"}\n"
        );
        assert_eq!(render_list("{{json .}}", "T", FIELDS, &rows, field), Ok(out));
    }

    proptest! {
        #[test]
        fn any_format_renders_or_errs(format in "\\PC{0,40}") {
            let rows = [("a", "b")];
            let _ = render_list(&format, "T", FIELDS, &rows, field);
        }
    }
}
