//! Offsets in the text pulldown-cmark parses back to offsets in the file.

/// Maps offsets in the text handed to pulldown-cmark (with shortcodes
/// replaced by placeholders) back to offsets in the source file.
#[derive(Default)]
pub(super) struct SourceMap {
    /// (offset in new text, offset in file, whether offsets inside map 1:1)
    segments: Vec<(usize, usize, bool)>,
}

impl SourceMap {
    pub(super) fn push(&mut self, new: usize, orig: usize) {
        self.segments.push((new, orig, true));
    }
    pub(super) fn push_opaque(&mut self, new: usize, orig: usize) {
        self.segments.push((new, orig, false));
    }
    pub(super) fn original(&self, offset: usize) -> usize {
        let i = self.segments.partition_point(|s| s.0 <= offset);
        if i == 0 {
            return offset;
        }
        let (new, orig, linear) = self.segments[i - 1];
        if linear {
            orig + (offset - new)
        } else {
            orig
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_map() {
        let mut m = SourceMap::default();
        m.push(0, 100);
        m.push_opaque(10, 110);
        m.push(14, 130);
        assert_eq!(m.original(5), 105);
        assert_eq!(m.original(12), 110);
        assert_eq!(m.original(15), 131);
    }
}
