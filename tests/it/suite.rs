//! The test command runs every test: no target is left out of `cargo
//! test`, no test is ignored or skipped because a tool is missing. The
//! binary's own tests (every help example parsed by clap, the progress
//! line) were once left out by `test = false`.

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_target_and_every_test_is_run_by_the_test_command() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    // Sections that hold tests: the library, the binaries, the test targets.
    let mut section = String::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            section = line.to_string();
            continue;
        }
        let tested = matches!(section.as_str(), "[lib]" | "[[bin]]" | "[[test]]");
        let key = line.split('=').next().unwrap_or("").trim();
        assert!(
            !(tested && key == "test" && line.contains("false")),
            "{section} has `{line}`: its tests would never run"
        );
        assert!(
            !(section == "[[test]]" && key == "harness" && line.contains("false")),
            "{section} has `{line}`: its #[test]s would never run"
        );
    }
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    sources(&root.join("crates"), &mut files);
    sources(&root.join("tests"), &mut files);
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let name = f.strip_prefix(root).unwrap().display().to_string();
        let lines: Vec<&str> = text.lines().collect();
        for (n, line) in lines.iter().enumerate() {
            let t = line.trim();
            if t.starts_with("#[ignore") || (t.starts_with("#[cfg_attr") && t.contains("ignore")) {
                let test = lines[n + 1..]
                    .iter()
                    .find_map(|l| l.trim().strip_prefix("fn "))
                    .and_then(|l| l.split('(').next())
                    .unwrap_or("");
                panic!("{name}:{}: test {test} is ignored", n + 1);
            }
            // A test that returns early when a tool is missing passes
            // without checking anything.
            assert!(
                !t.contains("SKIPPED") || f.ends_with("suite.rs"),
                "{name}:{}: a test skips: {t}",
                n + 1
            );
            assert!(
                !(t.starts_with("if let Ok(") && t.contains("Command::new(")),
                "{name}:{}: a test checks only when a command runs: {t}",
                n + 1
            );
        }
    }
}

/// Every file of the integration binary is one of its modules: a file
/// left out would never be compiled, so its tests would never run.
#[test]
fn every_integration_file_is_a_module_of_the_binary() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("it");
    let main = std::fs::read_to_string(dir.join("main.rs")).unwrap();
    let mut files = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().to_string();
        let Some(module) = name.strip_suffix(".rs") else {
            continue;
        };
        if module != "main" {
            files += 1;
            assert!(
                main.contains(&format!("\nmod {module};\n")),
                "tests/it/{name} is not declared in tests/it/main.rs"
            );
        }
    }
    assert!(files >= 14, "{files}");
}

/// The core crate's source (issue 27): its modules are the library's too,
/// re-exported under their own names.
const CORE: &str = "crates/core/src";

/// The library's top-level modules and the others each one names in its
/// code (comments and test modules aside), the core crate's included.
fn module_imports(
    root: &Path,
) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let mut graph = std::collections::BTreeMap::new();
    for src in [root.join("src"), root.join(CORE)] {
        add_imports(&src, &mut graph);
    }
    graph
}

/// The core crate's top-level modules.
fn core_modules(root: &Path) -> std::collections::BTreeSet<String> {
    let mut g = std::collections::BTreeMap::new();
    add_imports(&root.join(CORE), &mut g);
    g.into_keys().collect()
}

fn add_imports(
    src: &Path,
    graph: &mut std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
) {
    let mut files = Vec::new();
    sources(src, &mut files);
    for f in files {
        let rel = f.strip_prefix(src).unwrap();
        let Some(first) = rel.components().next() else {
            continue;
        };
        let name = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if ["main", "lib", "cli"].contains(&name.as_str())
            || rel.components().any(|c| c.as_os_str() == "tests")
            || rel
                .file_name()
                .is_some_and(|n| n == "tests.rs" || n == "testing.rs")
        {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        // Code before an inline test module; comments dropped.
        let code = text.split("#[cfg(test)]\nmod tests {").next().unwrap();
        let deps: &mut std::collections::BTreeSet<String> = graph.entry(name.clone()).or_default();
        for line in code.lines() {
            let line = line.trim_start();
            if line.starts_with("//") {
                continue;
            }
            let line = line.split(" //").next().unwrap();
            for (i, _) in line.match_indices("crate::") {
                let rest = &line[i + "crate::".len()..];
                let dep: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !dep.is_empty() && dep != name {
                    deps.insert(dep);
                }
            }
        }
    }
}

/// The core crate imports nothing of the rest (issue 27): it builds alone.
#[test]
fn the_core_crate_imports_only_itself() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let core = core_modules(root);
    assert!(core.contains("merkle") && core.contains("cbor"), "{core:?}");
    // The core's own files only: the main crate has modules of the same
    // name (`identity`, `report`) that add what needs the machine.
    let mut graph = std::collections::BTreeMap::new();
    add_imports(&root.join(CORE), &mut graph);
    for m in &core {
        for d in &graph[m] {
            assert!(
                core.contains(d),
                "core module {m} imports {d}, which is not in the core"
            );
        }
    }
}

/// No two modules of the library import each other, directly or through
/// others: the layers of `lib.rs` hold.
#[test]
fn no_module_imports_a_module_that_imports_it() {
    let graph = module_imports(Path::new(env!("CARGO_MANIFEST_DIR")));
    assert!(graph.len() > 20, "{graph:?}");
    // The reading sees imports (the handle sits on the store and the rules).
    assert!(graph["ledger"].contains("store") && graph["ledger"].contains("policy"));
    assert!(!graph["policy"].contains("store"), "the rules do no I/O");
    // Depth-first search for a cycle, reporting its path.
    fn visit(
        g: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        at: &str,
        path: &mut Vec<String>,
        done: &mut std::collections::BTreeSet<String>,
    ) {
        if let Some(i) = path.iter().position(|p| p == at) {
            panic!("import circle: {} -> {at}", path[i..].join(" -> "));
        }
        if done.contains(at) {
            return;
        }
        path.push(at.to_string());
        for d in g.get(at).into_iter().flatten() {
            visit(g, d, path, done);
        }
        path.pop();
        done.insert(at.to_string());
    }
    let mut done = Default::default();
    for m in graph.keys() {
        visit(&graph, m, &mut Vec::new(), &mut done);
    }
}
