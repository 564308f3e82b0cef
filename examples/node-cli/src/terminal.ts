import type { WriteStream } from 'node:tty';

/** A writable the CLI prints to (`process.stdout` or a test's stream). */
export type Output = NodeJS.WritableStream & Partial<Pick<WriteStream, 'isTTY'>>;

/** Options of {@link createTerminal}. */
export interface TerminalOptions {
  stdout: Output;
  stderr: Output;
  /** False for `--no-color` or `NO_COLOR`; colours also need a TTY. */
  color: boolean;
}

type Paint = (text: string) => string;

/** Where and how the CLI prints: colours and the spinner only on a TTY. */
export interface Terminal {
  readonly stdout: Output;
  readonly stderr: Output;
  /** True when stdout is a terminal (a person is watching). */
  readonly interactive: boolean;
  readonly paint: { dim: Paint; bold: Paint; red: Paint; green: Paint; cyan: Paint; yellow: Paint };
  /** Shows a spinner on stdout until the returned function is called (nothing when stdout is not a TTY). */
  spin(label: string): () => void;
  /** Prints one line on stderr. */
  note(line: string): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Creates the terminal for the given streams. */
export function createTerminal(options: TerminalOptions): Terminal {
  const { stdout, stderr } = options;
  const interactive = stdout.isTTY === true;
  const colored = options.color && interactive;
  const code = (open: number, close: number): Paint =>
    colored ? (text) => `\x1b[${open}m${text}\x1b[${close}m` : (text) => text;
  return {
    stdout,
    stderr,
    interactive,
    paint: {
      dim: code(2, 22),
      bold: code(1, 22),
      red: code(31, 39),
      green: code(32, 39),
      cyan: code(36, 39),
      yellow: code(33, 39),
    },
    spin(label) {
      if (!interactive) return () => {};
      let frame = 0;
      const draw = () => stdout.write(`\r${code(36, 39)(FRAMES[frame++ % FRAMES.length] ?? '')} ${code(2, 22)(label)}`);
      draw();
      const timer = setInterval(draw, 80);
      let stopped = false;
      return () => {
        if (stopped) return;
        stopped = true;
        clearInterval(timer);
        stdout.write('\r\x1b[K');
      };
    },
    note(line) {
      stderr.write(`${line}\n`);
    },
  };
}
