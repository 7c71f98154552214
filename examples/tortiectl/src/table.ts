// Tables as calicoctl prints them (bordered, centred headers).

/** A table with calicoctl's borders. */
export function boxTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  right: ReadonlySet<number> = new Set(),
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const sep = `+${widths.map((w) => "-".repeat(w + 2)).join("+")}+`;
  const line = (cells: readonly string[], center = false) =>
    `|${cells
      .map((c, i) => {
        const w = widths[i]!;
        if (center) {
          const left = Math.floor((w - c.length) / 2);
          return ` ${" ".repeat(left)}${c}${" ".repeat(w - c.length - left)} `;
        }
        return ` ${right.has(i) ? c.padStart(w) : c.padEnd(w)} `;
      })
      .join("|")}|`;
  return `${[sep, line(header, true), sep, ...rows.map((r) => line(r)), sep].join("\n")}\n`;
}
