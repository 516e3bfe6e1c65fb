/** A small valid rule, as YAML (one item of a `rules:` list), for tests to break one field at a time. */
export function ruleYaml(id: string, extra = ''): string {
  return `  - id: ${id}
    title: T
    kind: attack
    severity: high
    window: 5m
    when: { count: 3 }
    summary: "{count} from {group.ip}"
    group_by: [ip]
    likely_cause: c
    checks: [x]
${extra}`;
}
