//! A small line-based unified diff, for `aws-okta config init --dry-run`.

/// Largest LCS table (cells) we are willing to build; beyond it the changed middle is shown as
/// removed and added whole. Config files are far smaller.
const MAX_CELLS: usize = 4_000_000;
const CONTEXT: usize = 3;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    Keep,
    Del,
    Add,
}

/// A unified diff (`---`/`+++` headers, `@@` hunks, 3 lines of context) from `old` to `new`;
/// empty when they are equal.
pub fn unified_diff(old: &str, new: &str, old_label: &str, new_label: &str) -> String {
    if old == new {
        return String::new();
    }
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    let ops = edit_script(&a, &b);

    let mut out = format!("--- {old_label}\n+++ {new_label}\n");
    // Walk the script, tracking positions in a and b, and emit hunks around changes.
    let n = ops.len();
    let mut i = 0;
    // Positions in a/b at each op index.
    let mut pos = Vec::with_capacity(n + 1);
    let (mut ia, mut ib) = (0usize, 0usize);
    for op in &ops {
        pos.push((ia, ib));
        match op {
            Op::Keep => {
                ia += 1;
                ib += 1;
            }
            Op::Del => ia += 1,
            Op::Add => ib += 1,
        }
    }
    pos.push((ia, ib));
    while i < n {
        if ops[i] == Op::Keep {
            i += 1;
            continue;
        }
        // A hunk starts CONTEXT lines before this change and extends while changes are at most
        // 2*CONTEXT apart.
        let start = i.saturating_sub(CONTEXT);
        let mut end = i;
        loop {
            while end < n && ops[end] != Op::Keep {
                end += 1;
            }
            let mut next = end;
            while next < n && ops[next] == Op::Keep {
                next += 1;
            }
            if next < n && next - end <= 2 * CONTEXT {
                end = next;
            } else {
                end = (end + CONTEXT).min(n);
                break;
            }
        }
        let (a0, b0) = pos[start];
        let (a1, b1) = pos[end];
        let range = |s: usize, len: usize| {
            let first = if len == 0 { s } else { s + 1 };
            if len == 1 {
                format!("{first}")
            } else {
                format!("{first},{len}")
            }
        };
        out.push_str(&format!(
            "@@ -{} +{} @@\n",
            range(a0, a1 - a0),
            range(b0, b1 - b0)
        ));
        for k in start..end {
            let (pa, pb) = pos[k];
            let (mark, line) = match ops[k] {
                Op::Keep => (' ', a[pa]),
                Op::Del => ('-', a[pa]),
                Op::Add => ('+', b[pb]),
            };
            out.push(mark);
            out.push_str(line.strip_suffix('\n').unwrap_or(line));
            out.push('\n');
            if !line.ends_with('\n') {
                out.push_str("\\ No newline at end of file\n");
            }
        }
        i = end;
    }
    out
}

fn edit_script(a: &[&str], b: &[&str]) -> Vec<Op> {
    // Common prefix and suffix first: the usual change is one block in the middle.
    let mut pre = 0;
    while pre < a.len() && pre < b.len() && a[pre] == b[pre] {
        pre += 1;
    }
    let mut suf = 0;
    while suf < a.len() - pre && suf < b.len() - pre && a[a.len() - 1 - suf] == b[b.len() - 1 - suf]
    {
        suf += 1;
    }
    let am = &a[pre..a.len() - suf];
    let bm = &b[pre..b.len() - suf];
    let mut ops = vec![Op::Keep; pre];
    let (n, m) = (am.len(), bm.len());
    if n.saturating_mul(m) > MAX_CELLS {
        ops.extend(std::iter::repeat_n(Op::Del, n));
        ops.extend(std::iter::repeat_n(Op::Add, m));
    } else {
        // lcs[i][j] = LCS length of am[i..] and bm[j..].
        let w = m + 1;
        let mut lcs = vec![0u32; (n + 1) * w];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i * w + j] = if am[i] == bm[j] {
                    lcs[(i + 1) * w + j + 1] + 1
                } else {
                    lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n && j < m {
            if am[i] == bm[j] {
                ops.push(Op::Keep);
                i += 1;
                j += 1;
            } else if lcs[(i + 1) * w + j] >= lcs[i * w + j + 1] {
                ops.push(Op::Del);
                i += 1;
            } else {
                ops.push(Op::Add);
                j += 1;
            }
        }
        ops.extend(std::iter::repeat_n(Op::Del, n - i));
        ops.extend(std::iter::repeat_n(Op::Add, m - j));
    }
    ops.extend(std::iter::repeat_n(Op::Keep, suf));
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_is_empty() {
        assert_eq!(unified_diff("a\n", "a\n", "x", "y"), "");
    }

    #[test]
    fn insertion_with_context() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n";
        let new = "1\n2\n3\n4\nX\n5\n6\n7\n8\n";
        assert_eq!(
            unified_diff(old, new, "a", "b"),
            "--- a\n+++ b\n@@ -2,6 +2,7 @@\n 2\n 3\n 4\n+X\n 5\n 6\n 7\n"
        );
    }

    #[test]
    fn from_empty_and_change() {
        assert_eq!(
            unified_diff("", "a\nb\n", "a", "b"),
            "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+a\n+b\n"
        );
        assert_eq!(
            unified_diff("a\nb\nc\n", "a\nB\nc\n", "a", "b"),
            "--- a\n+++ b\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
        );
    }

    #[test]
    fn two_far_changes_make_two_hunks() {
        let old: String = (1..=20).map(|i| format!("{i}\n")).collect();
        let new: String = (1..=20)
            .map(|i| match i {
                2 => "two\n".to_string(),
                19 => "nineteen\n".to_string(),
                _ => format!("{i}\n"),
            })
            .collect();
        let d = unified_diff(&old, &new, "a", "b");
        assert_eq!(d.matches("@@ -").count(), 2, "{d}");
        assert!(d.contains("-19\n+nineteen\n"));
    }

    #[test]
    fn missing_final_newline() {
        assert_eq!(
            unified_diff("a", "a\nb\n", "x", "y"),
            "--- x\n+++ y\n@@ -1 +1,2 @@\n-a\n\\ No newline at end of file\n+a\n+b\n"
        );
    }
}
