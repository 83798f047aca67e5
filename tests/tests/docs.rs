//! Documentation that must not drift from the code it describes.

/// The schema guide shows the ER diagram that entity regeneration writes.
#[test]
fn schema_guide_embeds_the_generated_er_diagram() {
    let diagram = include_str!("../../docs/next-auth-v3.mermaid");
    let guide = include_str!("../../docs/schema.md");
    let embedded = format!("```mermaid\n{}\n```", diagram.trim_end());
    assert!(
        guide.contains(&embedded),
        "docs/schema.md must contain docs/next-auth-v3.mermaid verbatim in a ```mermaid block; re-copy it after regenerating"
    );
}

/// The README stays a five-minute read; the rest belongs in docs/.
#[test]
fn readme_is_under_300_lines() {
    let lines = include_str!("../../README.md").lines().count();
    assert!(
        lines < 300,
        "README.md has {lines} lines; move detail to a guide in docs/"
    );
}
