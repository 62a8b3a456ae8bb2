/** The only place that writes to the terminal. Text for people; `--json` for machines (stdout only). */
export interface Output {
  json: boolean;
  /** `--verbose`: show every warning instead of the first few. */
  verbose: boolean;
  /** A line of human output (suppressed in JSON mode). */
  line(text?: string): void;
  /** Notes that must not pollute stdout (warnings, prompts' context). */
  note(text: string): void;
  /** The machine-readable result (JSON mode only). */
  result(value: unknown): void;
  /** One event of a long-running command, as a JSON line (JSON mode only). */
  event(value: unknown): void;
  /** A warning: always on stderr, so stdout stays the YAML or JSON the command produces. */
  warn(text: string): void;
  /** Colours text for a terminal (plain when not a TTY, with NO_COLOR, or in JSON mode). */
  paint(style: Style, text: string): string;
}

export type Style = "red" | "yellow" | "green" | "bold" | "dim";

const ANSI: Record<Style, [number, number]> = {
  red: [31, 39],
  yellow: [33, 39],
  green: [32, 39],
  bold: [1, 22],
  dim: [2, 22],
};

/** Colours only on a terminal that wants them (https://no-color.org). */
const wantsColour = (stream: NodeJS.WritableStream): boolean =>
  (stream as NodeJS.WriteStream).isTTY === true &&
  process.env.NO_COLOR === undefined &&
  process.env.TERM !== "dumb";

export const createOutput = (
  json: boolean,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
  verbose = false,
): Output => ({
  json,
  verbose,
  line: (text = "") => {
    if (!json) out.write(`${text}\n`);
  },
  note: (text) => {
    (json ? err : out).write(`${text}\n`);
  },
  result: (value) => {
    if (json) out.write(`${JSON.stringify(value, null, 2)}\n`);
  },
  event: (value) => {
    if (json) out.write(`${JSON.stringify(value)}\n`);
  },
  warn: (text) => {
    err.write(`${text}\n`);
  },
  paint: (style, text) =>
    !json && wantsColour(out) ? `\u001b[${ANSI[style][0]}m${text}\u001b[${ANSI[style][1]}m` : text,
});

/** Moose's right-aligned action label: `      Migration Written to …`. */
export const action = (label: string, message: string): string =>
  `${label.padStart(15)} ${message}`;
