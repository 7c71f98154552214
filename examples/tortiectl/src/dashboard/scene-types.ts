// A drawn picture as plain data: positioned boxes, text lines and edge paths.
// The server lays the picture out once (./scene.ts); `tortiectl graph -o svg`
// serialises it to an SVG file (./svg.ts) and the dashboard page builds the
// same shapes as DOM elements (./page/draw.ts). Shared by both sides: no
// Node.js imports here.

/** Colours of session states: up (Established), down, unknown (no live agent reports it). */
export const SESSION_COLOURS = { up: "#2e7d32", down: "#c62828", unknown: "#9e9e9e" } as const;

/** What a group of shapes stands for (what a click on it opens). */
export interface SceneRef {
  readonly kind: "node" | "peer" | "pod" | "session" | "block";
  readonly id: string;
}

/** A positioned shape. */
export type SceneItem =
  | {
      readonly t: "rect";
      readonly x: number;
      readonly y: number;
      readonly w: number;
      readonly h: number;
      readonly fill: string;
      readonly stroke: string;
      readonly dash?: boolean;
    }
  | {
      readonly t: "text";
      readonly x: number;
      readonly y: number;
      readonly text: string;
      readonly bold?: boolean;
      readonly fill?: string;
      /** When set, the text is `text` followed by the time since this instant (ms epoch). */
      readonly upSince?: number;
    }
  | {
      readonly t: "path";
      readonly d: string;
      readonly stroke: string;
      readonly width: number;
      readonly dash?: boolean;
    }
  | {
      readonly t: "g";
      readonly ref: SceneRef;
      /** A state worth a selector (session state, agent health). */
      readonly state?: string;
      readonly title?: string;
      readonly items: readonly SceneItem[];
    };

/** The whole picture. */
export interface Scene {
  readonly width: number;
  readonly height: number;
  readonly items: readonly SceneItem[];
}

/** "3d04h", "12m05s", "40s": a duration for an uptime. */
export function formatUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, "0");
  if (d > 0) return `${d}d${pad(h)}h`;
  if (h > 0) return `${h}h${pad(m)}m`;
  if (m > 0) return `${m}m${pad(s % 60)}s`;
  return `${s}s`;
}

/** The text of a text item at `now` (with its uptime, when it has one). */
export function itemText(
  t: { readonly text: string; readonly upSince?: number },
  now: number,
): string {
  return t.upSince !== undefined ? `${t.text}${formatUptime(now - t.upSince)}` : t.text;
}
