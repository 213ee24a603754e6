//! Snapshots of every exporter, rendered from fixed results (the committed example reports and
//! three saved `lockbench run --json` results): a change in what lockbench prints or writes is a
//! change someone reviews (`cargo insta review`, or delete the snapshot and re-run).

use lockbench::analysis;
use lockbench::model::{RunResult, SweepResults};
use lockbench::report::{compare, csv, html, markdown, table};

fn sweep(name: &str) -> SweepResults {
    let path = format!("{}/reports/{name}/results.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    SweepResults::from_json(&text).unwrap_or_else(|e| panic!("{path} {e}"))
}

fn run(name: &str) -> RunResult {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The page without the charts' drawing: its structure, text and table. The charts themselves
/// are checked by number and by the series they draw.
fn html_structure(page: &str) -> String {
    let mut out = String::new();
    let mut rest = page;
    let mut charts = 0;
    while let Some(start) = rest.find("<svg") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("</svg>").expect("every chart is closed") + start;
        charts += 1;
        out.push_str(&format!("<svg chart {charts}/>"));
        rest = &rest[end + "</svg>".len()..];
    }
    out.push_str(rest);
    out
}

#[test]
fn terminal_tables_of_single_runs() {
    for name in ["run-ticket", "run-none", "run-bank-processes"] {
        insta::assert_snapshot!(name, table::render(&run(name)));
    }
}

#[test]
fn csv_of_sweeps() {
    for name in ["2-core-xeon-vm", "2-core-xeon-vm-processes"] {
        let bytes = csv::render(&sweep(name)).unwrap();
        insta::assert_snapshot!(format!("{name}.csv"), String::from_utf8(bytes).unwrap());
    }
}

#[test]
fn markdown_of_sweeps() {
    for name in ["2-core-xeon-vm", "2-core-xeon-vm-processes"] {
        insta::assert_snapshot!(format!("{name}.md"), markdown::render(&sweep(name)));
    }
}

#[test]
fn html_structure_of_sweeps() {
    for name in ["2-core-xeon-vm", "2-core-xeon-vm-processes"] {
        let page = html::render(&sweep(name)).unwrap();
        insta::assert_snapshot!(format!("{name}.html"), html_structure(&page));
    }
}

#[test]
fn compare_text_and_page() {
    let (before, after) = (sweep("2-core-xeon-vm"), sweep("2-core-xeon-vm-processes"));
    let c = analysis::compare::compare(&before, &after);
    insta::assert_snapshot!("compare.txt", compare::render_text(&c));
    insta::assert_snapshot!("compare.html", compare::render_html(&c).unwrap());
}
