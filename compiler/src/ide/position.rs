//! Byte offsets ↔ line and UTF-16 column, the positions LSP speaks. The one
//! place where the conversion happens.

/// Where each line of a text starts, to convert positions both ways.
#[derive(Clone, Debug)]
pub struct LineIndex {
    /// Byte offset of the start of each line (the first is 0).
    starts: Vec<usize>,
    len: usize,
}

/// A zero-based line and UTF-16 column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    /// The line, from 0.
    pub line: u32,
    /// The column in UTF-16 code units, from 0.
    pub col: u32,
}

impl LineIndex {
    /// The line table of `text`. Lines end at `\n` (a `\r` before it is part
    /// of the line's text, as LSP clients count it).
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex {
            starts,
            len: text.len(),
        }
    }

    /// The line and UTF-16 column of byte `offset` of `text` (clamped to the
    /// text; an offset inside a character counts as its start).
    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let offset = offset.min(self.len);
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let col: usize = text
            .get(start..)
            .unwrap_or("")
            .char_indices()
            .take_while(|&(i, _)| start + i < offset)
            .map(|(_, c)| c.len_utf16())
            .sum();
        LineCol {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            col: u32::try_from(col).unwrap_or(u32::MAX),
        }
    }

    /// The byte offset of a line and UTF-16 column of `text`. A line past the
    /// end gives the end of the text; a column past the end of its line (or
    /// inside a surrogate pair) gives the end of the line (the character).
    pub fn offset(&self, text: &str, at: LineCol) -> usize {
        let Some(&start) = self.starts.get(at.line as usize) else {
            return self.len;
        };
        let end = self
            .starts
            .get(at.line as usize + 1)
            .map_or(self.len, |&next| next - 1);
        let line = text.get(start..end).unwrap_or("");
        let mut units = 0usize;
        for (i, c) in line.char_indices() {
            if units >= at.col as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        end
    }
}

#[cfg(test)]
mod tests {
    use super::{LineCol, LineIndex};

    fn lc(line: u32, col: u32) -> LineCol {
        LineCol { line, col }
    }

    #[test]
    fn ascii_round_trips() {
        let text = "ab\ncd\n\nef";
        let index = LineIndex::new(text);
        for offset in 0..=text.len() {
            let at = index.line_col(text, offset);
            assert_eq!(index.offset(text, at), offset, "{offset} -> {at:?}");
        }
        assert_eq!(index.line_col(text, 4), lc(1, 1));
        assert_eq!(index.line_col(text, 7), lc(3, 0));
    }

    #[test]
    fn non_ascii_columns_count_utf16_units() {
        // `é` is 2 bytes and 1 unit; `😀` is 4 bytes and 2 units.
        let text = "é😀x\n😀y";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 2), lc(0, 1));
        assert_eq!(index.line_col(text, 6), lc(0, 3));
        assert_eq!(index.line_col(text, 7), lc(0, 4));
        assert_eq!(index.line_col(text, 12), lc(1, 2));
        assert_eq!(index.offset(text, lc(0, 3)), 6);
        assert_eq!(index.offset(text, lc(1, 2)), 12);
        // Inside the surrogate pair: just after the character that holds it.
        assert_eq!(index.offset(text, lc(0, 2)), 6);
    }

    #[test]
    fn out_of_range_positions_are_clamped() {
        let text = "ab\r\ncd";
        let index = LineIndex::new(text);
        assert_eq!(index.offset(text, lc(0, 99)), 3);
        assert_eq!(index.offset(text, lc(9, 0)), text.len());
        assert_eq!(index.line_col(text, 999), lc(1, 2));
    }
}
