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
    for name in [
        "run-ticket",
        "run-none",
        "run-bank-processes",
        "run-timed-dial",
    ] {
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
        let r = sweep(name);
        let f = analysis::verdict::findings(&r);
        insta::assert_snapshot!(format!("{name}.md"), markdown::render(&r, Some(&f)));
    }
}

#[test]
fn html_structure_of_sweeps() {
    for name in ["2-core-xeon-vm", "2-core-xeon-vm-processes"] {
        let r = sweep(name);
        let page = html::render(&r, &analysis::verdict::findings(&r)).unwrap();
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

/// The machine facts that older files lack, as a new file carries them: the Markdown's head
/// (above the table) and the page's lines that show them.
#[test]
fn machine_facts_and_a_busy_start() {
    let mut r = sweep("2-core-xeon-vm");
    let e = &mut r.environment;
    e.physical_cores = Some(2);
    e.threads_per_core = Some(1);
    e.sockets = Some(1);
    e.numa_nodes = Some(1);
    e.virtualized = Some(true);
    e.hypervisor = Some("KVM".into());
    e.governor = Some("performance".into());
    e.turbo = Some(true);
    e.lock_crates = [("parking_lot", "0.13.0"), ("lock_api", "0.5.0")]
        .map(|(name, version)| lockbench::model::CrateVersion {
            name: name.into(),
            version: version.into(),
        })
        .to_vec();
    e.libc = Some("glibc 2.39".into());
    e.load_average = Some(1.25);
    e.other_runnable = Some(1);
    let md = markdown::render(&r, None);
    let head: String = md
        .lines()
        .take_while(|l| !l.starts_with('|'))
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!("machine-facts.md", head);
    let page = html::render(&r, &analysis::verdict::findings(&r)).unwrap();
    let shown: Vec<&str> = page
        .lines()
        .filter(|l| {
            [
                "Warning",
                "topology",
                "virtual machine",
                "frequency",
                "lock libraries",
                "at the start",
            ]
            .iter()
            .any(|w| l.contains(w))
        })
        .collect();
    insta::assert_snapshot!("machine-facts.html", shown.join("\n"));
}

/// What the page promises a reader: the verdict first, a tooltip on every point of the
/// throughput chart, the processes series dashed, and one colour per backend in both reports.
#[test]
fn the_page_reads_at_a_glance() {
    let colour_of = |page: &str, backend: &str| -> String {
        // The legend's swatch: `<span class="swatch" style="border-top-color: #rrggbb"></span>`
        // then the name.
        let at = page
            .find(&format!("\"></span>{backend}</span>"))
            .unwrap_or_else(|| panic!("no legend entry for {backend}"));
        page[at - 7..at].to_string()
    };
    let mut pages = Vec::new();
    for name in ["2-core-xeon-vm", "2-core-xeon-vm-processes"] {
        let r = sweep(name);
        let page = html::render(&r, &analysis::verdict::findings(&r)).unwrap();
        let verdict = page.find("id=\"verdict\"").expect("a verdict");
        assert!(
            verdict < page.find("<svg").unwrap(),
            "the verdict comes first"
        );
        // The wide linear headline: one tooltip per measured point.
        let headline = page.find("class=\"chart headline linear\"").unwrap();
        let chart = &page[headline..headline + page[headline..].find("</svg>").unwrap()];
        let measured = r.points.iter().filter(|p| p.ops_per_sec.is_some()).count();
        assert_eq!(chart.matches("<title>").count(), measured, "{name}");
        assert!(chart.contains("<title>std, 2 threads: "), "{name}");
        pages.push(page);
    }
    let processes = &pages[1];
    assert!(processes.contains("<title>ticket (processes), 2 processes: "));
    let dashed = processes
        .find(&format!(
            "<span class=\"swatch dashed\" style=\"border-top-color: {}\"></span>ticket (processes)</span>",
            colour_of(processes, "ticket")
        ))
        .is_some();
    assert!(dashed, "the processes series is dashed in the legend");
    for backend in ["std", "ticket", "pthread"] {
        assert_eq!(
            colour_of(&pages[0], backend),
            colour_of(&pages[1], backend),
            "{backend}"
        );
    }
    assert_eq!(
        colour_of(processes, "ticket"),
        colour_of(processes, "ticket (processes)")
    );
}

/// Every built-in backend has a colour of its own, the same in every report.
#[test]
fn every_built_in_backend_owns_a_colour() {
    let registry = lockbench::registry::Registry::builtin();
    for e in registry.entries() {
        assert!(
            lockbench::report::charts::Palette::owns_a_colour(e.name()),
            "{} has no colour of its own (report/charts.rs BUILT_IN)",
            e.name()
        );
    }
}

/// A lock that let a reader see a write half done is named for it in the page's notes and its
/// row.
#[test]
fn torn_reads_under_a_lock_are_named() {
    let mut r = sweep("2-core-xeon-vm");
    let p = &mut r.points[1];
    p.failed_verification = true;
    p.torn_reads = 5;
    let backend = p.backend.clone();
    let page = html::render(&r, &analysis::verdict::findings(&r)).unwrap();
    assert!(
        page.contains(&format!(
            "{backend} with 1 thread LET A READER SEE A WRITE HALF DONE 5 times"
        )),
        "{}",
        &page[page.find("<h2>Notes").unwrap()..][..600]
    );
    assert!(markdown::render(&r, None).contains("TORN READS"));
}
