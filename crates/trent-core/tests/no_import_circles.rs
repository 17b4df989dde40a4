//! The workspace's module graph has no import circle: no source file imports,
//! directly or through others, a file that imports it back.
//!
//! A file "imports" another when a `use` item or a path in its code
//! (`crate::…`, `super::…`, `self::…`, `trent_x::…`, or a child module's name)
//! names that file's module or an item in it. `mod x;` declarations are not
//! imports (they say where a module lives, not what it uses), and inline
//! `#[cfg(test)]` modules are left out: they test the file they sit in.
//! Comments and string literals are skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One crate's modules: module path (`["key", "model"]`) to file.
struct CrateModules {
    /// The crate's name as code spells it (`trent_core`).
    ident: String,
    modules: BTreeMap<Vec<String>, PathBuf>,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("file under src");
    let mut parts: Vec<String> = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
    let last = parts.pop().expect("a file name");
    match last.as_str() {
        "lib.rs" | "main.rs" | "mod.rs" => {}
        other => parts.push(other.trim_end_matches(".rs").to_owned()),
    }
    parts
}

fn crates() -> Vec<CrateModules> {
    let mut out = Vec::new();
    let dir = workspace_root().join("crates");
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(&dir).expect("crates/").flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    for c in dirs {
        let src = c.join("src");
        let mut files = Vec::new();
        rs_files(&src, &mut files);
        let mut modules = BTreeMap::new();
        for f in files {
            // A binary's main.rs and a library's lib.rs are both roots; keep lib.rs.
            let m = module_path(&src, &f);
            if m.is_empty() && f.ends_with("main.rs") && src.join("lib.rs").exists() {
                continue;
            }
            modules.insert(m, f);
        }
        let name = c.file_name().expect("crate dir").to_string_lossy().replace('-', "_");
        out.push(CrateModules { ident: name, modules });
    }
    out
}

/// The file's code without comments, string and char literals, and inline
/// `#[cfg(test)] mod … { … }` blocks.
fn code_of(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
        } else if c == b'r' && (b.get(i + 1) == Some(&b'"') || b.get(i + 1) == Some(&b'#')) && !ident_byte(prev(b, i)) {
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                out.push(c as char);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == b'"' && (0..hashes).all(|h| b.get(j + 1 + h) == Some(&b'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == b'\'' && b.get(i + 2) == Some(&b'\'') {
            out.push_str("' '");
            i += 3;
        } else if c == b'\'' && b.get(i + 1) == Some(&b'\\') {
            let mut j = i + 2;
            while j < b.len() && b[j] != b'\'' {
                j += 1;
            }
            out.push_str("' '");
            i = j + 1;
        } else {
            out.push(c as char);
            i += 1;
        }
    }
    strip_test_modules(&out)
}

fn prev(b: &[u8], i: usize) -> u8 {
    if i == 0 { b' ' } else { b[i - 1] }
}

fn ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn strip_test_modules(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        let after = &rest[at + "#[cfg(test)]".len()..];
        let mut trimmed = after.trim_start();
        // Further attributes may sit between `#[cfg(test)]` and the module.
        while trimmed.starts_with("#[") {
            match trimmed.find(']') {
                Some(close) => trimmed = trimmed[close + 1..].trim_start(),
                None => break,
            }
        }
        for vis in ["pub(crate) ", "pub(super) ", "pub "] {
            trimmed = trimmed.strip_prefix(vis).unwrap_or(trimmed);
        }
        let is_inline_mod = trimmed.starts_with("mod ") && {
            let head: String = trimmed.chars().take_while(|&c| c != ';' && c != '{').collect();
            trimmed[head.len()..].starts_with('{')
        };
        out.push_str(&rest[..at]);
        if !is_inline_mod {
            out.push_str("#[cfg(test)]");
            rest = after;
            continue;
        }
        let open = after.find('{').expect("inline mod has a brace");
        let mut depth = 0usize;
        let mut end = after.len();
        for (k, ch) in after[open..].char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + k + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Expands the use tree starting at `s` (just after `use `) into paths.
fn expand_use(tree: &str) -> Vec<Vec<String>> {
    fn go(prefix: &[String], t: &str, out: &mut Vec<Vec<String>>) {
        let t = t.trim();
        if t.is_empty() {
            return;
        }
        if let Some(open) = t.find('{') {
            let head: Vec<String> =
                t[..open].split("::").map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
            let inner = &t[open + 1..t.rfind('}').unwrap_or(t.len())];
            let mut p = prefix.to_vec();
            p.extend(head);
            let mut depth = 0;
            let mut start = 0;
            for (k, ch) in inner.char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        go(&p, &inner[start..k], out);
                        start = k + 1;
                    }
                    _ => {}
                }
            }
            go(&p, &inner[start..], out);
        } else {
            let t = t.split(" as ").next().unwrap_or(t);
            let mut p = prefix.to_vec();
            for seg in t.split("::").map(str::trim).filter(|s| !s.is_empty()) {
                if seg == "self" {
                    continue;
                }
                p.push(seg.to_owned());
            }
            out.push(p);
        }
    }
    let mut out = Vec::new();
    go(&[], tree, &mut out);
    out
}

/// Every path the code names: `use` trees expanded, and `a::b::c` paths in code.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = code;
    // `use` items (possibly `pub use`, `pub(crate) use`).
    let mut body = String::with_capacity(code.len());
    while let Some(at) = find_word(rest, "use") {
        body.push_str(&rest[..at]);
        let after = &rest[at + 3..];
        let end = after.find(';').unwrap_or(after.len());
        out.extend(expand_use(&after[..end]));
        rest = &after[(end + 1).min(after.len())..];
    }
    body.push_str(rest);
    // Paths in code: identifier (:: identifier)+
    let b = body.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if ident_byte(b[i]) && (i == 0 || (!ident_byte(b[i - 1]) && b[i - 1] != b':')) {
            let mut j = i;
            let mut segs = Vec::new();
            loop {
                let s = j;
                while j < b.len() && ident_byte(b[j]) {
                    j += 1;
                }
                segs.push(body[s..j].to_owned());
                if body[j..].starts_with("::") && b.get(j + 2).is_some_and(|&c| ident_byte(c)) {
                    j += 2;
                } else {
                    break;
                }
            }
            if segs.len() > 1 {
                out.push(segs);
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

fn find_word(s: &str, w: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(k) = s[from..].find(w) {
        let at = from + k;
        let before_ok = at == 0 || !ident_byte(b[at - 1]);
        let after_ok = b.get(at + w.len()).is_some_and(|c| c.is_ascii_whitespace());
        if before_ok && after_ok {
            return Some(at);
        }
        from = at + w.len();
    }
    None
}

/// The file (crate index, module path) a path from module `here` of crate `ci` names, if any.
fn resolve(crates: &[CrateModules], ci: usize, here: &[String], path: &[String]) -> Option<(usize, Vec<String>)> {
    let (target, mut abs): (usize, Vec<String>) = match path.first()?.as_str() {
        "crate" => (ci, Vec::new()),
        "self" => (ci, here.to_vec()),
        "super" => {
            let mut h = here.to_vec();
            let mut k = 0;
            while path.get(k).is_some_and(|s| s == "super") {
                h.pop();
                k += 1;
            }
            let mut abs = h;
            abs.extend(path[k..].iter().cloned());
            return longest_module(crates, ci, abs);
        }
        first => {
            if let Some(t) = crates.iter().position(|c| c.ident == first) {
                (t, Vec::new())
            } else {
                // A child module of this one, named directly.
                let mut child = here.to_vec();
                child.push(first.to_owned());
                if crates[ci].modules.contains_key(&child) {
                    (ci, here.to_vec())
                } else {
                    return None;
                }
            }
        }
    };
    let skip = usize::from(matches!(path[0].as_str(), "crate" | "self") || target != ci);
    abs.extend(path[skip..].iter().cloned());
    longest_module(crates, target, abs)
}

fn longest_module(crates: &[CrateModules], ci: usize, mut abs: Vec<String>) -> Option<(usize, Vec<String>)> {
    loop {
        if crates[ci].modules.contains_key(&abs) {
            return Some((ci, abs));
        }
        abs.pop()?;
    }
}

/// Strongly connected components of more than one file (Tarjan).
fn circles(edges: &BTreeMap<usize, BTreeSet<usize>>, n: usize) -> Vec<Vec<usize>> {
    struct T<'a> {
        edges: &'a BTreeMap<usize, BTreeSet<usize>>,
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        out: Vec<Vec<usize>>,
    }
    fn visit(t: &mut T<'_>, v: usize) {
        t.index[v] = Some(t.next);
        t.low[v] = t.next;
        t.next += 1;
        t.stack.push(v);
        t.on[v] = true;
        let succ: Vec<usize> = t.edges.get(&v).map(|s| s.iter().copied().collect()).unwrap_or_default();
        for w in succ {
            match t.index[w] {
                None => {
                    visit(t, w);
                    t.low[v] = t.low[v].min(t.low[w]);
                }
                Some(iw) if t.on[w] => t.low[v] = t.low[v].min(iw),
                Some(_) => {}
            }
        }
        if Some(t.low[v]) == t.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on[w] = false;
                comp.push(w);
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        edges,
        index: vec![None; n],
        low: vec![0; n],
        on: vec![false; n],
        stack: Vec::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in 0..n {
        if t.index[v].is_none() {
            visit(&mut t, v);
        }
    }
    t.out
}

#[test]
fn no_file_imports_a_file_that_imports_it_back() {
    let crates = crates();
    let mut ids: BTreeMap<(usize, Vec<String>), usize> = BTreeMap::new();
    let mut files: Vec<PathBuf> = Vec::new();
    for (ci, c) in crates.iter().enumerate() {
        for (m, f) in &c.modules {
            ids.insert((ci, m.clone()), files.len());
            files.push(f.clone());
        }
    }
    assert!(files.len() > 100, "the scan found the workspace's sources ({} files)", files.len());
    let mut edges: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for (ci, c) in crates.iter().enumerate() {
        for (m, f) in &c.modules {
            let from = ids[&(ci, m.clone())];
            let code = code_of(&std::fs::read_to_string(f).expect("readable source"));
            for p in paths_in(&code) {
                if let Some(target) = resolve(&crates, ci, m, &p) {
                    let to = ids[&target];
                    if to != from {
                        edges.entry(from).or_default().insert(to);
                    }
                }
            }
        }
    }
    let found = circles(&edges, files.len());
    let root = workspace_root().join("crates");
    let shown: Vec<String> = found
        .iter()
        .map(|c| {
            let name = |i: usize| files[i].strip_prefix(&root).unwrap_or(&files[i]).display().to_string();
            let mut lines = vec![format!("circle of {} files:", c.len())];
            for &a in c {
                for &b in edges.get(&a).into_iter().flatten() {
                    if c.contains(&b) {
                        lines.push(format!("  {} imports {}", name(a), name(b)));
                    }
                }
            }
            lines.join("\n")
        })
        .collect();
    assert!(shown.is_empty(), "import circles:\n{}", shown.join("\n"));
}

#[test]
fn the_scanner_sees_a_circle_and_the_paths_code_names() {
    let mut edges = BTreeMap::new();
    edges.insert(0, BTreeSet::from([1]));
    edges.insert(1, BTreeSet::from([2]));
    edges.insert(2, BTreeSet::from([0]));
    edges.insert(3, BTreeSet::from([0]));
    assert_eq!(circles(&edges, 4).len(), 1);
    let code = code_of(
        "use crate::a::{self, b::C, d as e};\n// use crate::z;\nfn f() { super::x::y(); let s = \"crate::q\"; }\n#[cfg(test)]\nmod tests { use crate::t; }\n",
    );
    let paths = paths_in(&code);
    let shown: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(shown, vec!["crate::a", "crate::a::b::C", "crate::a::d", "super::x::y"]);
}
