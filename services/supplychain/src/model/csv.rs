//! Just enough CSV (RFC 4180: commas, double quotes, doubled quotes inside quotes) for
//! the factor import format and the bundled World Bank files, without a dependency.
//! Fields are plain strings: `NA` (Namibia) stays `NA`.

/// Splits CSV text into rows of fields. Quoted fields may hold commas, quotes and
/// newlines. A trailing empty line is ignored.
pub fn parse(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// Rows as maps from header names, with the header removed.
pub fn records(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rows = parse(text);
    if rows.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let header = rows
        .remove(0)
        .into_iter()
        .map(|h| h.trim().to_string())
        .collect();
    (header, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_commas_and_namibia() {
        let rows = parse("iso2,country,v\nKR,\"Korea, Rep.\",1\nNA,Namibia,\"say \"\"hi\"\"\"\r\n");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1], vec!["KR", "Korea, Rep.", "1"]);
        assert_eq!(rows[2], vec!["NA", "Namibia", "say \"hi\""]);
        let (h, r) = records("a,b\n1,\n");
        assert_eq!(h, vec!["a", "b"]);
        assert_eq!(r, vec![vec!["1".to_string(), String::new()]]);
    }
}
