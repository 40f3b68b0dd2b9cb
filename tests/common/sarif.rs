//! SARIF checks shared by the tests that produce SARIF (fixtures, the Action's end-to-end run):
//! the vendored official 2.1.0 schema and what GitHub code scanning enforces beyond it.
#![allow(dead_code)]

/// The vendored official SARIF 2.1.0 schema, compiled once.
pub fn sarif_validator() -> &'static jsonschema::Validator {
    static V: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../schemas/sarif-schema-2.1.0.json")).unwrap();
        jsonschema::validator_for(&schema).expect("the vendored SARIF schema compiles")
    })
}

/// Schema errors of a SARIF document (empty: valid).
pub fn schema_errors(doc: &serde_json::Value) -> Vec<String> {
    sarif_validator()
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// What GitHub code scanning enforces on upload beyond the 2.1.0 schema (it rejects the whole
/// file on any of these): every result has a location with a file URI and a 1-based start line
/// ("expected at least one location"), its `ruleId` is a rule of the driver, fingerprints are
/// present and distinct, columns are declared UTF-16, every rule has a help URI, precision and
/// problem severity, and the documented limits hold (25,000 results and rules per run, 1,000
/// locations and related locations per result, 20 tags per rule).
pub fn github_ingestion_problems(doc: &serde_json::Value) -> Vec<String> {
    let mut p = Vec::new();
    let runs = doc["runs"].as_array().cloned().unwrap_or_default();
    if runs.is_empty() || runs.len() > 20 {
        p.push(format!("{} runs", runs.len()));
    }
    for run in &runs {
        if run["columnKind"] != "utf16CodeUnits" {
            p.push(format!("columnKind is {}", run["columnKind"]));
        }
        let rules = run["tool"]["driver"]["rules"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if rules.len() > 25_000 {
            p.push(format!("{} rules", rules.len()));
        }
        let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
        for r in &rules {
            let id = r["id"].as_str().unwrap_or("?");
            if !r["helpUri"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://"))
            {
                p.push(format!("rule {id}: no helpUri"));
            }
            if !["very-high", "high", "medium", "low"]
                .contains(&r["properties"]["precision"].as_str().unwrap_or(""))
            {
                p.push(format!(
                    "rule {id}: precision {}",
                    r["properties"]["precision"]
                ));
            }
            if !["error", "warning", "recommendation"]
                .contains(&r["properties"]["problem.severity"].as_str().unwrap_or(""))
            {
                p.push(format!(
                    "rule {id}: problem.severity {}",
                    r["properties"]["problem.severity"]
                ));
            }
            if r["properties"]["tags"]
                .as_array()
                .is_some_and(|t| t.len() > 20)
            {
                p.push(format!("rule {id}: more than 20 tags"));
            }
        }
        let results = run["results"].as_array().cloned().unwrap_or_default();
        if results.len() > 25_000 {
            p.push(format!("{} results", results.len()));
        }
        let mut prints = std::collections::BTreeSet::new();
        for (i, r) in results.iter().enumerate() {
            let rule = r["ruleId"].as_str().unwrap_or("");
            if !ids.contains(&rule) {
                p.push(format!("result {i}: ruleId {rule:?} is not a driver rule"));
            }
            if let Some(k) = r["ruleIndex"].as_u64() {
                if ids.get(k as usize) != Some(&rule) {
                    p.push(format!("result {i}: ruleIndex {k} is not {rule}"));
                }
            }
            let locs = r["locations"].as_array().cloned().unwrap_or_default();
            if locs.is_empty() || locs.len() > 1000 {
                p.push(format!("result {i} ({rule}): {} locations", locs.len()));
            }
            for l in &locs {
                let phys = &l["physicalLocation"];
                if phys["artifactLocation"]["uri"]
                    .as_str()
                    .is_none_or(str::is_empty)
                {
                    p.push(format!("result {i} ({rule}): a location without a uri"));
                }
                if phys["region"]["startLine"].as_u64().is_none_or(|n| n < 1) {
                    p.push(format!(
                        "result {i} ({rule}): a location without startLine >= 1"
                    ));
                }
            }
            if r["relatedLocations"]
                .as_array()
                .is_some_and(|a| a.len() > 1000)
            {
                p.push(format!("result {i}: more than 1,000 related locations"));
            }
            match r["partialFingerprints"]["invlintFinding/v1"].as_str() {
                Some(fp) if !fp.is_empty() => {
                    if !prints.insert(fp.to_string()) {
                        p.push(format!("result {i}: fingerprint {fp} repeats"));
                    }
                }
                _ => p.push(format!("result {i}: no fingerprint")),
            }
        }
    }
    p
}
