// Escaping of datastore text for the formats tortiectl writes by hand. Every
// name, label, address and message in the picture comes from the datastore,
// which anyone with write access fills: none of it may become markup.

/**
 * Text for XML character data or a double-quoted attribute value (XML 1.0
 * §2.4 and §3.3.3): `& < > " '` become entity references, and characters
 * XML does not allow (C0 controls except tab, LF and CR; U+FFFE, U+FFFF;
 * lone surrogates) become U+FFFD.
 */
export function escapeXml(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "\ufffd")
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd")
    .replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A Graphviz double-quoted string (DOT language, "ID" and escString): `"` and
 * `\` are escaped and line breaks become `\n`, so no text can end the string
 * or add an attribute; `<` `>` need nothing inside a quoted (non-HTML) string.
 */
export function dotString(s: string): string {
  return `"${s
    .replace(/[\\"]/g, (c) => `\\${c}`)
    .replace(/\r\n|\r|\n/g, "\\n")
    .replace(/[\u0000-\u001f]/g, " ")}"`;
}
