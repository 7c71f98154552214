// A Scene as a standalone SVG document, built as a string. Every piece of
// text and every attribute value goes through escapeXml (./escape.ts).
import { escapeXml } from "./escape.js";
import { itemText, type Scene, type SceneItem } from "./scene-types.js";

const FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace";

/** The SVG text of `scene`; uptimes are computed at `now`. */
export function sceneToSvg(scene: Scene, now: number, title = "Tortie cluster routing"): string {
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${scene.width}" height="${scene.height}" viewBox="0 0 ${scene.width} ${scene.height}" font-family="${FONT}" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${scene.width}" height="${scene.height}" fill="#ffffff"/>`,
  ];
  for (const it of scene.items) write(it, now, out, "");
  out.push("</svg>", "");
  return out.join("\n");
}

function write(it: SceneItem, now: number, out: string[], indent: string): void {
  const a = (v: string | number) => escapeXml(String(v));
  switch (it.t) {
    case "rect":
      out.push(
        `${indent}<rect x="${it.x}" y="${it.y}" width="${it.w}" height="${it.h}" rx="4" fill="${a(it.fill)}" stroke="${a(it.stroke)}" stroke-width="1.5"${it.dash ? ' stroke-dasharray="5 3"' : ""}/>`,
      );
      return;
    case "text":
      out.push(
        `${indent}<text x="${it.x}" y="${it.y}"${it.bold ? ' font-weight="bold"' : ""}${it.fill ? ` fill="${a(it.fill)}"` : ""} xml:space="preserve">${escapeXml(itemText(it, now))}</text>`,
      );
      return;
    case "path":
      out.push(
        `${indent}<path d="${a(it.d)}" fill="none" stroke="${a(it.stroke)}" stroke-width="${it.width}"${it.dash ? ' stroke-dasharray="6 4"' : ""}/>`,
      );
      return;
    case "g":
      out.push(
        `${indent}<g data-kind="${a(it.ref.kind)}" data-id="${a(it.ref.id)}"${it.state ? ` data-state="${a(it.state)}"` : ""}>`,
      );
      if (it.title) out.push(`${indent}  <title>${escapeXml(it.title)}</title>`);
      for (const c of it.items) write(c, now, out, `${indent}  `);
      out.push(`${indent}</g>`);
      return;
  }
}
