//! Function calls in a body of code, read lexically: `name(` where `name` is an identifier not
//! preceded by `.` (a method on another value) and not a control keyword. Used to follow a
//! dispatcher one level into the functions of its own file.

/// Keywords that take parentheses and are not calls.
const NOT_CALLS: &[&str] = &[
    "if", "for", "while", "switch", "catch", "return", "guard", "match", "function", "func", "fn",
    "typeof", "await", "throw", "case", "sizeof", "new", "super", "init",
];

/// Names called in `body`, in order of first call, each once.
pub fn called_names(body: &str) -> Vec<&str> {
    let b = body.as_bytes();
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'$';
    let mut out: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !(b[i].is_ascii_alphabetic() || b[i] == b'_' || b[i] == b'$')
            || (i > 0 && is_ident(b[i - 1]))
        {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_ident(b[i]) {
            i += 1;
        }
        let name = &body[start..i];
        let mut j = i;
        while j < b.len() && b[j] == b' ' {
            j += 1;
        }
        let is_method = start > 0 && b[start - 1] == b'.';
        if j < b.len()
            && b[j] == b'('
            && !is_method
            && !NOT_CALLS.contains(&name)
            && !out.contains(&name)
        {
            out.push(name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_not_methods_or_keywords() {
        let body = "{ guard x else { return }\n if (a) { processBatch(frame.payload, id: w) }\n store.apply(x); throw err(\"e\"); processBatch(y) }";
        assert_eq!(called_names(body), ["processBatch", "err"]);
    }
}
